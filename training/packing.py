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

Only attention needs the rows. Everything else in a BERT layer (the projections, the feed-forward
block, layer norms, dropout) works token by token, so `PackedClassifier` runs it on the real tokens
alone, one after another, and lays them into the rows only for attention: the padding at the rows'
ends (the 1.12x above) then costs two copies per attention instead of a whole layer's work. The
pooler reads only each text's [CLS], so the last layer computes its outputs there alone: its keys and
values come from every token, but its queries, attention output and feed-forward block run on one
token a text (on Banking77's quick subset, 16 tokens of a step's ~240). That leaves out about 13% of
a step's matmul work and made a step 9% shorter (11% on SMS; issue 14). The dropouts are the
model's own (their rates, on while training), with masks drawn by numpy (training/dropout_masks.py),
a third of torch's cost on the CPU.

`PackedClassifier` wraps a `BertForSequenceClassification` (or a PEFT model around one) without
copying it: it calls the model's own modules, the weights trained are the model's own, and the plain
model is saved as before.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from training.dropout_masks import MaskSource


def can_pack(model) -> bool:
    """Packing needs a model whose forward we reproduce here: BERT's encoder (attention computed as
    "sdpa" computes it, which is the "eager" function too), [CLS] pooling, one label per text."""
    from transformers import BertForSequenceClassification

    base = _classifier(model)
    return (isinstance(base, BertForSequenceClassification) and base.config.num_labels > 1
            and base.config.problem_type in (None, "single_label_classification")
            and not base.config.is_decoder
            and base.config._attn_implementation in ("sdpa", "eager"))


def _classifier(model):
    """The classifier itself (inside PEFT's wrapper for LoRA, whose layers it holds)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def once_a_text(model) -> list[nn.Module]:
    """The modules a packed forward runs on one token a text ([CLS]) instead of every token: the
    last layer but its keys and values, the pooler and the classifier (bench.trainer counts the
    FLOPs a step computes from this list)."""
    base = _classifier(model)
    last = base.bert.encoder.layer[-1]
    return [last.attention.self.query, last.attention.output, last.intermediate, last.output,
            base.bert.pooler, base.classifier]


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
    """Turns the Trainer's rows ({"input_ids", "labels"}, unpadded) into one packed batch. The real
    tokens, text after text as the rows hold them: `input_ids` and `position_ids` (each text's start
    again at 0), and `token_index` (where each sits in the flattened rows). The rows themselves:
    `segment_ids` (rows x width; which text each cell holds, -1 for padding, so padding attends only
    to padding and never to a text). `cls_index` is where each text's [CLS] is in `input_ids`, in
    the order the texts were given; `labels` too."""

    def __init__(self, capacity: int):
        self.capacity = capacity

    def __call__(self, features: list[dict]) -> dict:
        lengths = [len(f["input_ids"]) for f in features]
        rows = pack(lengths, self.capacity)
        width = max(sum(lengths[i] for i in row) for row in rows)
        segment_ids = torch.full((len(rows), width), -1, dtype=torch.long)
        input_ids, position_ids, token_index = [], [], []
        cls_index = torch.empty(len(features), dtype=torch.long)
        for r, row in enumerate(rows):
            offset = 0
            for i in row:
                n = lengths[i]
                cls_index[i] = len(input_ids)
                input_ids += features[i]["input_ids"]
                position_ids += range(n)
                token_index += range(r * width + offset, r * width + offset + n)
                segment_ids[r, offset:offset + n] = i
                offset += n
        batch = {"input_ids": torch.tensor(input_ids, dtype=torch.long),
                 "position_ids": torch.tensor(position_ids, dtype=torch.long),
                 "token_index": torch.tensor(token_index, dtype=torch.long),
                 "segment_ids": segment_ids, "cls_index": cls_index}
        if "labels" in features[0]:
            batch["labels"] = torch.tensor([f["labels"] for f in features], dtype=torch.long)
        return batch


class PackedClassifier(nn.Module):
    """BERT sequence classification over packed rows; returns one logit row per text. The same
    function as the model's own forward (tests/training/test_packing.py holds it to the padded
    logits and gradients), with the token-wise work done on real tokens only."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.masks = MaskSource()  # training/dropout_masks.py: every dropout below draws from it

    def forward(self, input_ids, position_ids, token_index, segment_ids, cls_index, labels=None):
        base = _classifier(self.model)
        bert = base.bert
        rows = _Rows(token_index, segment_ids, self.masks)
        embeddings = bert.embeddings
        hidden = (embeddings.word_embeddings(input_ids)
                  + embeddings.token_type_embeddings(torch.zeros_like(input_ids))
                  + embeddings.position_embeddings(position_ids))  # BertEmbeddings' order of sums
        hidden = self.masks.dropout(embeddings.dropout, embeddings.LayerNorm(hidden))
        *layers, last = bert.encoder.layer
        for layer in layers:
            hidden = self._layer(layer, rows, hidden)
        # The pooler reads only [CLS]: the last layer computes its outputs there alone (its keys and
        # values still come from every token).
        hidden = self._layer(last, rows, hidden, only=cls_index)
        pooled = bert.pooler(hidden[:, None, :])
        logits = base.classifier(self.masks.dropout(base.dropout, pooled))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def _layer(self, layer, rows: _Rows, hidden, only=None):
        """A BertLayer on the real tokens; with `only` (token indices), its outputs at those tokens."""
        attention = layer.attention
        residual = hidden if only is None else hidden[only]
        hidden = self._residual(attention.output, rows.attend(attention.self, hidden, only), residual)
        return self._residual(layer.output, layer.intermediate(hidden), hidden)

    def _residual(self, output, hidden, residual):
        """BertSelfOutput and BertOutput: dense, dropout, then the residual's layer norm."""
        return output.LayerNorm(self.masks.dropout(output.dropout, output.dense(hidden)) + residual)


class _Rows:
    """Lays real tokens into the packed rows for attention, and takes them back out."""

    def __init__(self, token_index, segment_ids, masks: MaskSource):
        self.index, (self.count, self.width) = token_index, segment_ids.shape
        self.mask = segment_ids[:, None, :, None] == segment_ids[:, None, None, :]
        self.masks = masks

    def attend(self, attention, hidden, only=None):
        """`attention` is a BertSelfAttention: its projections, heads, scaling and dropout, with
        scaled dot-product attention, as transformers' "sdpa" runs it. Returns the output at every
        token, or with `only` (token indices) at those tokens alone: their queries against the keys
        and values of their own rows. Where `masks` draws the dropout mask (training, on the CPU),
        the probabilities are computed here, as torch's CPU kernel computes them then too; elsewhere
        (evaluation, CUDA) the fused kernel runs."""
        heads, size = attention.num_attention_heads, attention.attention_head_size

        def laid_out(tokens):  # (tokens, hidden) -> (rows, heads, width, head size)
            cells = tokens.new_zeros(self.count * self.width, tokens.shape[-1])
            cells = cells.index_copy(0, self.index, tokens)
            return cells.view(self.count, self.width, heads, size).transpose(1, 2)

        key, value = laid_out(attention.key(hidden)), laid_out(attention.value(hidden))
        if only is None:
            query, mask = laid_out(attention.query(hidden)), self.mask
        else:  # one query each, attending over the row that holds it
            cells = self.index[only]
            rows, columns = cells // self.width, cells % self.width
            query = attention.query(hidden[only]).view(len(cells), 1, heads, size).transpose(1, 2)
            key, value, mask = key[rows], value[rows], self.mask[rows, 0, columns][:, None, None]
        dropout = attention.dropout
        if self.masks.draws(dropout, query):
            scores = (query @ key.transpose(-1, -2) * attention.scaling).masked_fill(
                ~mask, float("-inf"))  # every cell attends at least to itself: no empty row
            out = self.masks.dropout(dropout, scores.softmax(-1)) @ value
        else:
            out = nn.functional.scaled_dot_product_attention(
                query, key, value, attn_mask=mask, scale=attention.scaling,
                dropout_p=dropout.p if dropout.training else 0.0)
        out = out.transpose(1, 2).reshape(len(query) * query.shape[2], -1)
        return out[self.index] if only is None else out
