"""Chat models for `task=chat` (worker only: imports transformers): tokenizers and causal language
models from registry specs, and greedy answers for a batch of prompts. `trust_remote_code` is never
passed. Loaded base models are kept per process (a few), so "Try it" does not dequantise the GGUF
weights (about 35 s here) on every question."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from training.errors import RequestError
from training.registry import ModelSpec, bundled_smollm2_gguf, find_model, hub_reachable

TINY_LLAMA = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=2048, tie_word_embeddings=True)
CACHE_SIZE = 3
_tokenizers: dict[str, object] = {}
_models: "OrderedDict[tuple, object]" = OrderedDict()
_lock = threading.Lock()


def resolve_chat(name: str) -> ModelSpec:
    spec = find_model(name)
    if spec is None or spec.task != "chat":
        raise RequestError("unknown_model", f"`{name}` is not an allowed chat model.")
    if spec.needs_hub and not hub_reachable():
        raise RequestError("hub_offline", f"`{name}` needs the Hugging Face hub, which cannot be reached. "
                           "Use `smollm2` (offline) or `tiny-llama`.")
    return spec


def _quiet():
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # GGUF conversion bars would garble worker logs


def load_chat_tokenizer(spec: ModelSpec):
    """The spec's tokenizer (the tiny random Llama borrows SmolLM2's), with a pad token and left
    padding for generation. A fresh copy each call: callers may change its settings."""
    _quiet()
    key = spec.hub_id if spec.needs_hub else "smollm2"
    with _lock:
        cached = _tokenizers.get(key)
    if cached is None:
        from transformers import AutoTokenizer

        if spec.needs_hub:
            cached = AutoTokenizer.from_pretrained(spec.hub_id)
        else:
            folder, gguf_file = bundled_smollm2_gguf()
            cached = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
        if cached.pad_token is None:
            cached.pad_token = cached.eos_token
        with _lock:
            _tokenizers[key] = cached
    return copy.deepcopy(cached)


def load_chat_model(spec: ModelSpec, tokenizer, seed: int = 42):
    """A fresh causal LM for training (float32; the Trainer casts for bf16 where it is used)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    _quiet()
    if spec.source == "random":
        torch.manual_seed(seed)
        config = LlamaConfig(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                             eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                             **TINY_LLAMA)
        model = LlamaForCausalLM(config)
    elif spec.needs_hub:
        model = AutoModelForCausalLM.from_pretrained(spec.hub_id, dtype=torch.float32)
    else:
        import contextlib
        import io

        folder, gguf_file = bundled_smollm2_gguf()
        with contextlib.redirect_stderr(io.StringIO()):  # the GGUF converter's own tqdm bar
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=torch.float32)
        _forget_gguf(model)
    end = _end_of_turn_id(tokenizer)
    model.generation_config.eos_token_id = end
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def _forget_gguf(model) -> None:
    """The GGUF loader dequantises every weight to float32 but still marks the model as quantized,
    which the Trainer refuses to train and `save_pretrained` would write into config.json. The
    weights are plain tensors, so the marks go."""
    model.hf_quantizer = None
    model.is_quantized = False
    model.quantization_method = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def cached_model(key: tuple, load):
    """A model kept per process under `key` (the least recently used of CACHE_SIZE dropped)."""
    with _lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
    model = load()
    model.eval()
    with _lock:
        _models[key] = model
        while len(_models) > CACHE_SIZE:
            _models.popitem(last=False)
    return model


def clear_cache() -> None:
    with _lock:
        _models.clear()


def _end_of_turn_id(tokenizer) -> int:
    """The token that ends an assistant turn in the chat template (`<|im_end|>` for ChatML)."""
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token_id is not None:
            return token_id
    return tokenizer.eos_token_id


def generate_answers(model, tokenizer, prompts: list[list[dict]], max_new_tokens: int, *,
                     batch_size: int = 32, device: str = "cpu", check=None) -> list[str]:
    """Greedy answers (same settings for every model) to chat prompts, in order. Prompts of similar
    length are batched together with left padding; `check()` is called between batches."""
    import torch

    tokenizer.padding_side = "left"
    end = _end_of_turn_id(tokenizer)
    texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    answers: dict[int, str] = {}
    model.eval()
    model.to(device)
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            if check:
                check()
            idx = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True,
                              add_special_tokens=False).to(device)
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                 eos_token_id=end, pad_token_id=tokenizer.pad_token_id)
            for row, i in enumerate(idx):
                new = out[row, batch["input_ids"].shape[1]:]
                answers[i] = tokenizer.decode(new, skip_special_tokens=True).strip()
    return [answers[i] for i in range(len(texts))]
