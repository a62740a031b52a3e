"""Classify one text with a saved model ("Try it" in Slack). Models are cached per process
(a few, least recently used dropped first) so repeated tries are fast."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from training.errors import TrainingError

CACHE_SIZE = 3
_cache: "OrderedDict[tuple[str, float], object]" = OrderedDict()
_lock = threading.Lock()


def _classifier(model_dir: str | Path):
    path = Path(model_dir).resolve()
    config = path / "config.json"
    if not config.is_file():
        raise TrainingError("model_missing", "That model is no longer available: train it again.")
    key = (str(path), config.stat().st_mtime)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    from transformers import pipeline

    import training.pooled  # noqa: F401  (registers the frozen method's sentence classifier)
    from training.hardware import configure_torch

    configure_torch()
    classifier = pipeline("text-classification", model=str(path), tokenizer=str(path),
                          device=-1, top_k=None)
    with _lock:
        _cache[key] = classifier
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return classifier


def predict(model_dir: str | Path, text: str) -> dict:
    """{"label": best label, "score": its probability, "scores": [{"label", "score"}...]}
    with scores sorted high to low."""
    if not text or not text.strip():
        raise TrainingError("empty_text", "Type some text to classify.")
    classifier = _classifier(model_dir)
    max_length = min(512, getattr(classifier.tokenizer, "model_max_length", 512) or 512)
    scores = classifier(text, truncation=True, max_length=max_length)
    if scores and isinstance(scores[0], list):
        scores = scores[0]
    ranked = sorted(({"label": s["label"], "score": round(float(s["score"]), 4)} for s in scores),
                    key=lambda s: -s["score"])
    return {"label": ranked[0]["label"], "score": ranked[0]["score"], "scores": ranked}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
