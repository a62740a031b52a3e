"""The trainer's input, as a plain dataclass, so the bot can build one without importing torch."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

METHODS = ("full", "frozen", "lora")
DEFAULT_LR = {"full": 5e-5, "lora": 2e-3, "frozen": 1e-3}
# The rate a fresh head needs (lesson 4.1): `frozen` trains only the head, at this rate by default;
# `full` gives its head at least this rate beside the body's (training/head_lr.py); `lora` trains
# its head whole at the run's rate (2e-3 by default).
HEAD_LR = DEFAULT_LR["frozen"]
# LoRA's adapters start at zero and are small: on a few hundred rows, 2 or 3 epochs are a few dozen
# optimiser steps, too few for them to move. A LoRA run takes at least this many steps (more
# epochs when the data is small; see effective_epochs).
LORA_MIN_STEPS = 200
DEFAULT_EPOCHS = 3
DEFAULT_BATCH = 16
# The bounds a run may ask for, shared by the CLI and the bot's request parser.
EPOCH_RANGE = (1, 20)
LR_RANGE = (1e-6, 1e-2)
BATCH_RANGE = (4, 128)
MIN_PER_CLASS = 2
# task=chat (see training/chat_trainer.py and docs/benchmarks.md for the run these were picked on):
# a few hundred short support conversations teach SmolLM2-135M a house format in one or two epochs
# of small LoRA steps on 2 CPU cores, within 15 minutes.
CHAT_DEFAULT_EPOCHS = 1
CHAT_DEFAULT_BATCH = 8
CHAT_DEFAULT_LR = {"lora": 2e-3, "full": 1e-3}  # full is for the tiny random model: it starts from noise
CHAT_LORA = dict(r=8, lora_alpha=16, lora_dropout=0.05)
# LoRA goes on the top 40% of the decoder layers (attention and MLP projections). Backpropagation then
# stops at the lowest adapted layer, which cuts a step's cost by about 40% on a CPU; style and format
# live mostly in the upper layers (see lesson 6.2 and docs/benchmarks.md for the run).
CHAT_LORA_TOP_SHARE = 0.4
CHAT_EXAMPLES_SHOWN = 5  # held-out prompts shown side by side (all held-out prompts are checked)


def default_lrs_text() -> str:
    """The methods' default learning rates in words, e.g. "5e-05 full (its new head at least 0.001),
    0.002 lora, 0.001 frozen"."""
    def one(method: str) -> str:
        head = head_learning_rate_for(method, DEFAULT_LR[method])
        return f"{DEFAULT_LR[method]:g} {method}" + (f" (its new head at least {head:g})" if head else "")

    return ", ".join(one(method) for method in ("full", "lora", "frozen"))


def head_learning_rate_for(method: str, learning_rate: float) -> float | None:
    """The rate a method's new head learns at where it is not the run's own: `full` gives its fresh
    head at least HEAD_LR beside the body's `learning_rate` (training/head_lr.py). None elsewhere:
    `frozen` trains only the head, `lora` trains it whole, both at the run's rate."""
    return max(HEAD_LR, learning_rate) if method == "full" else None


def effective_epochs(method: str, epochs: int, train_rows: int, batch_size: int) -> int:
    """The epochs a run really trains: the ones asked for, except that `lora` runs at least
    LORA_MIN_STEPS optimiser steps (capped at EPOCH_RANGE's maximum)."""
    if method != "lora" or train_rows <= 0:
        return epochs
    steps_per_epoch = math.ceil(train_rows / batch_size)
    return max(epochs, min(EPOCH_RANGE[1], math.ceil(LORA_MIN_STEPS / steps_per_epoch)))


def learning_rate_for(method: str, lr: float | None, task: str = "classify") -> float:
    """The learning rate a run uses: the one asked for, else the task's and method's default."""
    if lr is not None:
        return lr
    return CHAT_DEFAULT_LR[method] if task == "chat" else DEFAULT_LR[method]


@dataclass
class TrainConfig:
    """Everything one run needs. `data_path` is a local file already resolved by the caller
    (sample, downloaded upload, or operator path); hub data sets use `hub_dataset` instead."""

    out_dir: str
    data_path: str | None = None
    hub_dataset: str | None = None
    test_path: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    model: str = "minilm"
    method: str = "full"
    epochs: int = DEFAULT_EPOCHS
    lr: float | None = None
    batch_size: int = DEFAULT_BATCH
    per_class: int | None = None
    # transformers' epoch-wide length grouping of padded batches: it clusters labels where length
    # predicts them (see training/sampling.py). The default packs BERT models' batches in random
    # order (training/packing.py) and sorts other models' by length within small random windows.
    group_by_length: bool = False
    max_length: int | None = None
    seed: int = 42
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    early_stopping_patience: int = 2
    data_name: str | None = None
    max_example_epochs: int | None = None  # the operator's budget of training rows x epochs
    task: str = "classify"  # or "chat" (training/chat_trainer.py)
    lora_r: int | None = None  # chat: the adapters' rank (default CHAT_LORA["r"])
    test_size: int | None = None  # chat: held-out prompts (default: a tenth, 5 to 40)

    @property
    def learning_rate(self) -> float:
        return learning_rate_for(self.method, self.lr, self.task)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def out_path(self) -> Path:
        return Path(self.out_dir)
