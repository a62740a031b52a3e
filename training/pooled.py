"""A sentence-embedding classifier: the encoder's token vectors, mean-pooled over the real (not
padding) tokens, optionally L2-normalised, then one linear layer. This is how sentence-transformers
models such as all-MiniLM-L6-v2 were trained to be read (their model card: mean pooling, then
normalise); [CLS] through BERT's pooler is not.

The class is registered with transformers' Auto classes when this module is imported, so a saved
model loads with the ordinary calls and works in `pipeline("text-classification", ...)`:

    import training.pooled  # registers "tutor-pooled"; or call training.pooled.load(path)
    classify = pipeline("text-classification", model="PATH/TO/model")

No remote code is involved: the architecture lives here, the folder holds only config and weights.
Worker only (imports torch and transformers).
"""

from __future__ import annotations

import torch
from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, \
    PreTrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

MODEL_TYPE = "tutor-pooled"


class PooledConfig(PreTrainedConfig):
    """`encoder`: the wrapped encoder's own config as a dict; `pooling`: "mean";
    `normalize`: L2-normalise the pooled vector before the head."""

    model_type = MODEL_TYPE

    def __init__(self, encoder: dict | None = None, pooling: str = "mean", normalize: bool = True,
                 encoder_kwargs: dict | None = None, **kwargs):
        self.encoder = dict(encoder or {})
        self.encoder_kwargs = dict(encoder_kwargs or {})  # e.g. BERT's add_pooling_layer=False
        self.pooling = pooling
        self.normalize = normalize
        super().__init__(**kwargs)

    def encoder_config(self):
        data = dict(self.encoder)
        return AutoConfig.for_model(data.pop("model_type"), **data)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """The average of the token vectors where attention_mask is 1 (padding ignored)."""
    if attention_mask is None:
        return hidden.mean(1)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)


class PooledForSequenceClassification(PreTrainedModel):
    config_class = PooledConfig
    base_model_prefix = "embedder"

    def __init__(self, config: PooledConfig, encoder=None):
        super().__init__(config)
        self.embedder = encoder if encoder is not None else AutoModel.from_config(
            config.encoder_config(), **config.encoder_kwargs)
        hidden = self.embedder.config.hidden_size
        self.classifier = torch.nn.Linear(hidden, config.num_labels)
        self.post_init()

    def _init_weights(self, module):
        if module is getattr(self, "classifier", None):
            module.weight.data.normal_(0.0, 0.02)
            module.bias.data.zero_()

    def embed(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
        """The sentence embedding the head reads."""
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        out = self.embedder(input_ids=input_ids, attention_mask=attention_mask, **extra)
        pooled = mean_pool(out.last_hidden_state, attention_mask)
        if self.config.normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=-1)
        return pooled

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None,
                **kwargs):
        logits = self.classifier(self.embed(input_ids, attention_mask, token_type_ids))
        loss = None
        if labels is not None:
            loss = torch.nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)


def wrap(encoder, labels: list[str], normalize: bool) -> PooledForSequenceClassification:
    """A pooled classifier around an already loaded encoder, with a fresh head for `labels`."""
    id2label = {i: label for i, label in enumerate(labels)}
    no_pooler = getattr(encoder, "pooler", "absent") is None  # BERT built without its pooler
    config = PooledConfig(encoder=encoder.config.to_dict(), normalize=normalize,
                          encoder_kwargs={"add_pooling_layer": False} if no_pooler else {},
                          num_labels=len(labels), id2label=id2label,
                          label2id={label: i for i, label in id2label.items()})
    return PooledForSequenceClassification(config, encoder=encoder)


def load(path: str):
    """The one documented call: a `text-classification` pipeline for a saved frozen model."""
    from transformers import pipeline

    return pipeline("text-classification", model=str(path))


AutoConfig.register(MODEL_TYPE, PooledConfig, exist_ok=True)
AutoModelForSequenceClassification.register(PooledConfig, PooledForSequenceClassification,
                                            exist_ok=True)
