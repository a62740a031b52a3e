"""Distil the bundled all-MiniLM-L6-v2 into a static token table (the model2vec idea, done here).

Each vocabulary token is run through the full model alone (`[CLS] token [SEP]`), its output is
mean-pooled over the three positions and L2-normalised, as the model is meant to be used. A text's
static embedding is then the mean of its tokens' rows (`bot.tutor.embed`), with no model at run time.
This module imports torch: only `tutor lessons index` (its own process) calls it, never the bot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"


def model_dir() -> Path:
    from training.registry import bundled_minilm_path

    return Path(bundled_minilm_path())


def model_fingerprint(path: Path | None = None) -> str:
    path = path or model_dir()
    digest = hashlib.sha256()
    with open(path / "model.safetensors", "rb") as weights:
        digest.update(weights.read(1 << 20))  # the first MiB names the weights well enough
    digest.update((path / "tokenizer.json").read_bytes())
    return digest.hexdigest()[:16]


class FullModel:
    """The full MiniLM sentence embedding (mean-pooled over the attention mask, normalised)."""

    def __init__(self, path: Path | None = None):
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
        self.path = path or model_dir()
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.model = AutoModel.from_pretrained(str(self.path)).eval()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = []
        with self.torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                       max_length=256, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(self.torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

    def token_table(self, batch_size: int = 1024) -> np.ndarray:
        """One normalised row per vocabulary id: the model's output for that token alone."""
        vocab_size = self.tokenizer.vocab_size
        cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        rows = []
        with self.torch.inference_mode():
            for start in range(0, vocab_size, batch_size):
                ids = self.torch.arange(start, min(start + batch_size, vocab_size)).unsqueeze(1)
                n = ids.shape[0]
                input_ids = self.torch.cat([self.torch.full((n, 1), cls), ids, self.torch.full((n, 1), sep)], 1)
                hidden = self.model(input_ids=input_ids, attention_mask=self.torch.ones_like(input_ids)).last_hidden_state
                pooled = hidden.mean(1)
                rows.append(self.torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(rows).astype(np.float16)
