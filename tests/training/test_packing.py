"""Packed batches (training/packing.py): the same logits and gradients as padded batches, every text
once, and the trainer using them where the model allows it."""

from __future__ import annotations

import random

import pytest
import torch

from training.config import TrainConfig
from training.models import load_classifier, load_tokenizer, resolve
from training.packing import PackedClassifier, PackingCollator, can_pack, once_a_text, pack

TEXTS = ["hello there", "why", "my card was declined at the shop yesterday and again today",
         "top up failed twice, please help", "how do I change my PIN?", "refund",
         "a transfer to my friend has been pending for three days now", "ok"]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(resolve("tiny"))


def tiny_model(labels=("a", "b", "c")):
    return load_classifier(resolve("tiny"), list(labels), seed=7)


def features(tokenizer, texts=TEXTS, max_length=16):
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    return [{"input_ids": row, "labels": i % 3} for i, row in enumerate(ids)]


def padded_logits(model, tokenizer, texts=TEXTS, max_length=16):
    batch = tokenizer(texts, truncation=True, max_length=max_length, padding=True,
                      return_tensors="pt")
    return model(**batch).logits


def test_pack_places_every_text_once_within_the_capacity():
    rng = random.Random(3)
    lengths = [rng.randint(3, 30) for _ in range(200)] + [45]
    rows = pack(lengths, 30)
    assert sorted(i for row in rows for i in row) == list(range(201))
    assert all(sum(lengths[i] for i in row) <= 30 for row in rows if len(row) > 1)
    assert [200] in rows  # longer than a row: a row of its own
    assert sum(lengths) / (len(rows) * 30) > 0.9  # first-fit decreasing leaves little room


def test_collator_lays_texts_end_to_end_with_their_own_positions(tokenizer):
    rows = features(tokenizer)
    batch = PackingCollator(24)(rows)
    ids, positions, cells = batch["input_ids"], batch["position_ids"], batch["token_index"]
    flat_seg = batch["segment_ids"].reshape(-1)
    assert batch["segment_ids"].shape[1] <= 24
    assert batch["segment_ids"].shape[0] < len(TEXTS)  # texts really share rows
    assert batch["labels"].tolist() == [row["labels"] for row in rows]  # the order given
    real = sum(len(row["input_ids"]) for row in rows)
    assert len(ids) == len(positions) == len(cells) == real  # the real tokens only
    assert len(set(cells.tolist())) == real
    for i, row in enumerate(rows):
        start = int(batch["cls_index"][i])
        n = len(row["input_ids"])
        assert ids[start:start + n].tolist() == row["input_ids"]
        assert positions[start:start + n].tolist() == list(range(n))
        assert (flat_seg[cells[start:start + n]] == i).all()  # its own cells, in one row
        assert cells[start + n - 1] - cells[start] == n - 1  # end to end
    assert int((flat_seg == -1).sum()) == flat_seg.numel() - real


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_packed_logits_equal_padded_logits(tokenizer, attention):
    model = tiny_model().eval()
    model.config._attn_implementation = attention
    batch = PackingCollator(24)(features(tokenizer))
    with torch.no_grad():
        packed = PackedClassifier(model)(**batch).logits
        padded = padded_logits(model, tokenizer)
    assert batch["segment_ids"].shape[0] < len(TEXTS)  # texts really share rows
    torch.testing.assert_close(packed, padded, atol=1e-5, rtol=1e-4)


def padded_step_gradients(model, tokenizer, rows) -> dict:
    """Each parameter's gradient from one padded step over `rows` (the model's gradients reset)."""
    labels = torch.tensor([row["labels"] for row in rows])
    torch.nn.functional.cross_entropy(padded_logits(model, tokenizer), labels).backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    return expected


def assert_packed_step_gradients(packed, rows, expected: dict) -> None:
    """One packed step over `rows` leaves the gradients `expected`, and no NaN."""
    packed(**PackingCollator(24)(rows)).loss.backward()
    for name, p in packed.model.named_parameters():
        if name in expected:
            assert torch.isfinite(p.grad).all(), name
            torch.testing.assert_close(p.grad, expected[name], atol=1e-5, rtol=1e-3, msg=name)


def test_a_packed_step_has_the_padded_step_gradients(tokenizer):
    """Padding positions must not leak into the texts (nor NaNs from empty attention rows)."""
    model = tiny_model().eval()  # no dropout: the two steps see the same function
    rows = features(tokenizer)
    expected = padded_step_gradients(model, tokenizer, rows)
    assert_packed_step_gradients(PackedClassifier(model), rows, expected)


def test_attention_computed_by_hand_has_the_padded_step_gradients(tokenizer):
    """While training on the CPU, attention is computed by hand (its dropout mask comes from numpy):
    with every dropout off but attention's, at a rate that drops nothing here, a packed training
    step has the padded model's gradients without dropout."""
    model = tiny_model().eval()
    with torch.no_grad():  # sharper attention than at initialisation, where it is nearly uniform
        for layer in model.bert.encoder.layer:
            layer.attention.self.query.weight.mul_(20)
            layer.attention.self.key.weight.mul_(20)
    rows = features(tokenizer)
    expected = padded_step_gradients(model, tokenizer, rows)
    model.train()
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 2.0 ** -40 if name.endswith("attention.self.dropout") else 0.0
    torch.manual_seed(0)  # the masks' seed: no float32 draw of it falls below the rate
    packed = PackedClassifier(model)
    assert packed.masks.draws(model.bert.encoder.layer[0].attention.self.dropout, torch.zeros(1))
    assert_packed_step_gradients(packed, rows, expected)


def test_the_modules_named_once_a_text_see_one_token_a_text_and_the_rest_every_token(tokenizer):
    """The pooler reads each text's [CLS] alone, so the last layer's query, attention output and
    feed-forward block run on one token a text, while its keys and values (and every earlier
    layer) see every token. `once_a_text` names those modules for bench.trainer's FLOP count; the
    tests above hold the logits and gradients to the padded model's."""
    model = tiny_model().eval()
    batch = PackingCollator(24)(features(tokenizer))
    once = {id(m) for module in once_a_text(model) for m in module.modules()}
    expected, seen = {}, {}

    def count(name):
        def hook(module, args, output):
            seen[name] = len(args[0])
        return hook

    for name, module in model.named_modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.LayerNorm)):
            expected[name] = len(TEXTS) if id(module) in once else len(batch["input_ids"])
            module.register_forward_hook(count(name))
    with torch.no_grad():
        PackedClassifier(model)(**batch)
    assert seen == expected
    last = f"bert.encoder.layer.{len(model.bert.encoder.layer) - 1}."
    assert {name for name, n in expected.items() if n == len(TEXTS)} == {
        last + "attention.self.query", last + "attention.output.dense",
        last + "attention.output.LayerNorm", last + "intermediate.dense", last + "output.dense",
        last + "output.LayerNorm", "bert.pooler.dense", "classifier"}


def test_a_packed_training_forward_drops_attention_as_the_model_does(tokenizer):
    """Attention is ours in the packed forward, so its dropout is too: on while training, at the
    model's own rate (every other dropout is turned off here, so only attention's can differ)."""
    model = tiny_model().train()
    batch = PackingCollator(24)(features(tokenizer))
    packed = PackedClassifier(model)
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.5 if name.endswith("attention.self.dropout") else 0.0
    assert not torch.allclose(packed(**batch).logits, packed(**batch).logits)
    for layer in model.bert.encoder.layer:
        layer.attention.self.dropout.p = 0.0
    torch.testing.assert_close(packed(**batch).logits, packed(**batch).logits)
    packed.eval()
    for layer in model.bert.encoder.layer:
        layer.attention.self.dropout.p = 0.5
    torch.testing.assert_close(packed(**batch).logits, packed(**batch).logits)  # not in eval


@pytest.mark.parametrize("site", ["bert.embeddings.dropout", "attention.output.dropout",
                                  "layer.0.output.dropout", "layer.1.output.dropout", "model.dropout"])
def test_a_packed_training_forward_drops_out_where_the_model_does(tokenizer, site):
    """The packed forward calls each hidden-state dropout itself (training/dropout_masks.py draws the
    masks): one site on at a time, the others off, and the logits vary between calls."""
    model = tiny_model().train()
    batch = PackingCollator(24)(features(tokenizer))
    packed = PackedClassifier(model)
    for name, module in packed.named_modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.5 if name.endswith(site) else 0.0
    assert not torch.allclose(packed(**batch).logits, packed(**batch).logits)
    packed.eval()
    torch.testing.assert_close(packed(**batch).logits, packed(**batch).logits)


def test_packing_runs_through_lora_adapters(tokenizer):
    from peft import LoraConfig, TaskType, get_peft_model

    model = get_peft_model(tiny_model(), LoraConfig(task_type=TaskType.SEQ_CLS, r=4,
                                                    target_modules=["query", "value"],
                                                    init_lora_weights=False))
    model.eval()
    batch = PackingCollator(24)(features(tokenizer))
    with torch.no_grad():
        packed = PackedClassifier(model)(**batch).logits
        padded = padded_logits(model, tokenizer)
        with model.disable_adapter():
            plain = PackedClassifier(model)(**batch).logits
    assert can_pack(model)
    torch.testing.assert_close(packed, padded, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(packed, plain)  # the adapters took part


def test_only_bert_classifiers_pack():
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    assert can_pack(tiny_model())
    distil = DistilBertForSequenceClassification(DistilBertConfig(
        vocab_size=100, dim=32, n_layers=1, n_heads=2, hidden_dim=64, num_labels=3))
    assert not can_pack(distil)
    assert not can_pack(tiny_model(labels=("only",)))  # one label: regression, not packed
    decoder = tiny_model()
    decoder.config.is_decoder = True  # its attention is causal: not the encoder's we reproduce
    assert not can_pack(decoder)


def test_trainer_packs_unless_length_grouping_is_asked_for(tokenizer, tmp_path):
    from transformers import DataCollatorWithPadding, Trainer

    from training.trainer import _batching

    config = TrainConfig(out_dir=str(tmp_path))
    module, trainer_class, collator = _batching(tiny_model(), tokenizer, 32, config)
    assert isinstance(module, PackedClassifier) and trainer_class is Trainer
    assert isinstance(collator, PackingCollator) and collator.capacity == 32
    grouped = TrainConfig(out_dir=str(tmp_path), group_by_length=True)
    module, trainer_class, collator = _batching(tiny_model(), tokenizer, 32, grouped)
    assert not isinstance(module, PackedClassifier)
    assert isinstance(collator, DataCollatorWithPadding)
