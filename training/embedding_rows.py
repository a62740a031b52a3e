"""Train only the word-embedding rows that the training texts use.

MiniLM's word embedding is half of its parameters (30,522 rows of 384: 11.7 M of 22.7 M), but one
run's training texts use a few thousand of those rows at most (692 in bench.trainer's quick Banking77
subset, 6,888 in the whole SMS spam set). Trained as one tensor, every step still
zero-fills a 47 MB gradient, adds it into the clipping norm, and runs AdamW over all of it: about 13%
of a Banking77 step on two cores (issue 14). A row that no training text contains never gets a
gradient, so all AdamW does to it is its decoupled weight decay, x(1 - lr * weight_decay) each step.

`UsedRows` stands in for the embedding during a fit and gives the same model for less work: the used
rows are a parameter of their own (which AdamW updates exactly as it would have updated them inside
the whole tensor), the other rows stay frozen and are scaled by the running product of those decay
factors (`DecayUnusedRows` keeps it, step by step), and `merge` writes both back into the model's own
embedding. Validation passes during the fit read the same values a dense fit would.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import TrainerCallback


class UsedRows(nn.Module):
    """The word embedding during a fit: `rows` (trained) for the used ids, the frozen rest scaled by
    `decay`. `decay` is a buffer, so a copy of the weights (training/best_weights.py) holds it too."""

    def __init__(self, embedding: nn.Embedding, used: torch.Tensor):
        super().__init__()
        self.embedding = embedding
        weight = embedding.weight
        self.rows = nn.Parameter(weight.detach()[used].clone())
        weight.requires_grad_(False)
        slot = torch.full((embedding.num_embeddings,), -1, dtype=torch.long, device=weight.device)
        slot[used] = torch.arange(len(used), device=weight.device)
        self.register_buffer("used", used.to(weight.device), persistent=False)
        self.register_buffer("slot", slot, persistent=False)
        # float64: one step's factor is 1 - 2e-7 at the default lr and decay, below float32's step
        self.register_buffer("decay", torch.ones((), dtype=torch.float64, device=weight.device))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        slot = self.slot[input_ids]
        trained = nn.functional.embedding(slot.clamp(min=0), self.rows)
        kept = nn.functional.embedding(input_ids, self.embedding.weight) * self.decay.to(self.rows.dtype)
        return torch.where((slot >= 0).unsqueeze(-1), trained, kept)

    def decay_unused(self, optimizer) -> None:
        """Apply to the unused rows what AdamW is about to do to a row without a gradient."""
        inner = getattr(optimizer, "optimizer", optimizer)  # accelerate wraps the torch optimizer
        if not isinstance(inner, torch.optim.AdamW):
            raise TypeError(f"UsedRows assumes AdamW's decoupled weight decay, not {type(inner).__name__}")
        for group in inner.param_groups:
            if any(p is self.rows for p in group["params"]):
                self.decay.mul_(1 - float(group["lr"]) * group["weight_decay"])

    def merge(self) -> nn.Embedding:
        """The model's own embedding, holding what a dense fit would have left in it."""
        weight = self.embedding.weight
        with torch.no_grad():
            weight.mul_(self.decay.to(weight.dtype))
            weight[self.used] = self.rows.to(weight.dtype)
        weight.requires_grad_(True)
        return self.embedding


class DecayUnusedRows(TrainerCallback):
    """Keeps `UsedRows.decay` in step with the optimizer: just before each optimizer step, with the
    learning rate that step uses."""

    def __init__(self, rows: UsedRows):
        self.rows = rows

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        self.rows.decay_unused(optimizer)


def can_train_used_rows(model) -> bool:
    """A plain, trainable, untied embedding: one whose only job is to be looked up."""
    embedding = model.get_input_embeddings()
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    return (type(embedding) is nn.Embedding and embedding.weight.requires_grad
            and embedding.max_norm is None and not embedding.sparse
            and not embedding.scale_grad_by_freq
            and (output is None or output.weight is not embedding.weight))


def swap_in(model, token_rows: list[list[int]]) -> UsedRows | None:
    """Put a `UsedRows` in place of `model`'s embedding for the ids of `token_rows` (the padding id
    left out: its row never gets a gradient); None where the model's embedding is not a plain one."""
    if not can_train_used_rows(model):
        return None
    embedding = model.get_input_embeddings()
    ids = {i for row in token_rows for i in row} - {embedding.padding_idx}
    used_rows = UsedRows(embedding, torch.tensor(sorted(ids), dtype=torch.long))
    model.set_input_embeddings(used_rows)
    return used_rows


def swap_out(model, used_rows: UsedRows) -> None:
    """Put the model's own embedding back, merged."""
    model.set_input_embeddings(used_rows.merge())
