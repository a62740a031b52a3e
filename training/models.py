"""Build tokenizers and classification models from registry specs (worker only: imports
transformers). `trust_remote_code` is never passed, so only built-in architectures load."""

from __future__ import annotations

from training.errors import RequestError
from training.registry import ModelSpec, bundled_minilm_path, find_model, hub_reachable

TINY_CONFIG = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                   intermediate_size=64, max_position_embeddings=512)


def resolve(name: str) -> ModelSpec:
    spec = find_model(name)
    if spec is None:
        raise RequestError("unknown_model", f"`{name}` is not an allowed model.")
    if spec.needs_hub and not hub_reachable():
        raise RequestError("hub_offline", f"`{name}` needs the Hugging Face hub, which cannot be "
                           "reached. Use `minilm` or `tiny`.")
    return spec


def load_tokenizer(spec: ModelSpec):
    from transformers import AutoTokenizer

    source = spec.hub_id if spec.needs_hub else bundled_minilm_path()
    return AutoTokenizer.from_pretrained(source)


def load_classifier(spec: ModelSpec, labels: list[str], seed: int = 42, *, in_memory: bool = False):
    """A sequence-classification model with a fresh head for `labels` (id2label/label2id set).

    `in_memory` reads the weights into the process's own memory as they load, for a fit that writes
    every one of them in place (`full`). Mapped from the file (transformers' default), each page of
    weights is copied from the file at its first write instead: for MiniLM, 23,500 page faults and
    about 0.2 s inside the fit (its first optimizer step, and the word embedding's merge at its end:
    training/embedding_rows.py), against 0.1 s more to read the file now (issue 14)."""
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig, \
        BertForSequenceClassification
    from transformers.utils import logging as hf_logging

    id2label = {i: label for i, label in enumerate(labels)}
    label2id = {label: i for i, label in id2label.items()}
    torch.manual_seed(seed)
    if spec.source == "random":
        tokenizer = load_tokenizer(spec)
        config = BertConfig(vocab_size=tokenizer.vocab_size, num_labels=len(labels),
                            id2label=id2label, label2id=label2id,
                            pad_token_id=tokenizer.pad_token_id, **TINY_CONFIG)
        return BertForSequenceClassification(config)
    source = spec.hub_id if spec.needs_hub else bundled_minilm_path()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized head" is expected here, not news
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=len(labels), id2label=id2label, label2id=label2id,
            disable_mmap=in_memory)
    finally:
        hf_logging.set_verbosity(verbosity)


def load_sentence_classifier(spec: ModelSpec, labels: list[str], seed: int = 42):
    """For `frozen`: the bare encoder wrapped in training.pooled's mean-pooling classifier."""
    import torch
    from transformers import AutoModel, BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    from training.pooled import wrap

    torch.manual_seed(seed)
    if spec.source == "random":
        tokenizer = load_tokenizer(spec)
        encoder = BertModel(BertConfig(vocab_size=tokenizer.vocab_size,
                                       pad_token_id=tokenizer.pad_token_id, **TINY_CONFIG),
                            add_pooling_layer=False)
    else:
        source = spec.hub_id if spec.needs_hub else bundled_minilm_path()
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the unused pooler's weights are expected, not news
        try:
            extra = {"add_pooling_layer": False} if spec.source == "bundled" else {}  # BERT
            encoder = AutoModel.from_pretrained(source, **extra)
        finally:
            hf_logging.set_verbosity(verbosity)
    return wrap(encoder, labels, normalize=spec.normalize)
