"""Packed batches for BERT classifiers: no padding, and batches in plain random order.

A padded batch computes every text at the length of its longest one. Sorting by length pads less,
but on Banking77 it costs accuracy: with length-sorted windows of 4 batches (training/sampling.py),
`full` scored 1.5 points below the same model on packed batches in random order, averaged over ten
seeds of the quick subset, and 2.5 below padded batches in random order over five (docs/benchmarks.md,
issue 14). Packing removes the trade: a batch's texts are laid end to end in a
few rows of `capacity` tokens, each text attends only to itself (a block-diagonal attention mask),
its positions restart at 0, and its [CLS] vector is gathered for the usual pooler and classifier. So
the order can be random and little is padding: rows are as long as the run's max length, and a
batch's cells come to 1.12x its real tokens on Banking77 and 1.10x on SMS (quick subsets), against
1.40x / 1.54x for the length-sorted windows and 1.83x / 2.13x for padded batches in random order.
Longer rows pad less at their ends but attend across more tokens: rows of 128 made a quick Banking77
fit 25% slower than rows of 30 (its max length), so a row is `max_length` tokens.

`PackedClassifier` wraps a `BertForSequenceClassification` (or a PEFT model around one) without
copying it: the weights trained are the model's own, and the plain model is saved as before.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput


def can_pack(model) -> bool:
    """Packing needs a model whose forward we reproduce here: BERT's, [CLS] pooling, one label."""
    from transformers import BertForSequenceClassification

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return (isinstance(base, BertForSequenceClassification) and base.config.num_labels > 1
            and base.config.problem_type in (None, "single_label_classification")
            and base.config._attn_implementation in ("sdpa", "eager"))


def pack(lengths: list[int], capacity: int) -> list[list[int]]:
    """First-fit decreasing: indices of texts grouped into rows of at most `capacity` tokens (a
    longer text gets a row of its own)."""
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        for r, left in enumerate(room):
            if lengths[i] <= left:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(capacity - lengths[i])
    return rows


class PackingCollator:
    """Turns the Trainer's rows ({"input_ids", "labels"}, unpadded) into one packed batch:
    `input_ids`, `position_ids` and `segment_ids` (rows x width; padding has segment -1, so it
    attends only to padding and never to a text), `cls_index` (where each text's [CLS] sits in the
    flattened rows, in the order given) and `labels`."""

    def __init__(self, capacity: int, pad_token_id: int = 0):
        self.capacity, self.pad_token_id = capacity, pad_token_id

    def __call__(self, features: list[dict]) -> dict:
        lengths = [len(f["input_ids"]) for f in features]
        rows = pack(lengths, self.capacity)
        width = max(sum(lengths[i] for i in row) for row in rows)
        shape = (len(rows), width)
        input_ids = torch.full(shape, self.pad_token_id, dtype=torch.long)
        position_ids = torch.zeros(shape, dtype=torch.long)
        segment_ids = torch.full(shape, -1, dtype=torch.long)
        cls_index = torch.empty(len(features), dtype=torch.long)
        for r, row in enumerate(rows):
            offset = 0
            for i in row:
                n = lengths[i]
                input_ids[r, offset:offset + n] = torch.tensor(features[i]["input_ids"])
                position_ids[r, offset:offset + n] = torch.arange(n)
                segment_ids[r, offset:offset + n] = i
                cls_index[i] = r * width + offset
                offset += n
        batch = {"input_ids": input_ids, "position_ids": position_ids,
                 "segment_ids": segment_ids, "cls_index": cls_index}
        if "labels" in features[0]:
            batch["labels"] = torch.tensor([f["labels"] for f in features], dtype=torch.long)
        return batch


class PackedClassifier(nn.Module):
    """BERT sequence classification over packed rows; returns one logit row per text."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    @property
    def _base(self):
        """The BERT classifier itself (inside PEFT's wrapper for LoRA, whose layers it holds)."""
        return self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model

    def forward(self, input_ids, position_ids, segment_ids, cls_index, labels=None):
        base = self._base
        same = segment_ids[:, None, :, None] == segment_ids[:, None, None, :]
        if base.config._attn_implementation == "eager":  # eager adds the mask to the scores
            dtype = base.dtype
            mask = torch.zeros(same.shape, dtype=dtype, device=same.device)
            mask = mask.masked_fill(~same, torch.finfo(dtype).min)
        else:
            mask = same
        hidden = base.bert(input_ids=input_ids, attention_mask=mask, position_ids=position_ids,
                           token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        cls = hidden.reshape(-1, hidden.shape[-1])[cls_index]
        logits = base.classifier(base.dropout(base.bert.pooler(cls[:, None, :])))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
