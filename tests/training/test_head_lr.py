"""The fresh head's own learning rate in `full` (training/head_lr.py), on the tiny random BERT and a
real transformers Trainer."""

from __future__ import annotations

import pytest

from training.config import HEAD_LR, default_lrs_text, head_learning_rate_for
from training.head_lr import head_faster_optimizer, is_head, rates_used

BODY_LR = 5e-5


def tiny_trainer(tmp_path, lr=BODY_LR):
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from training.models import load_classifier, load_tokenizer, resolve

    spec = resolve("tiny")
    model = load_classifier(spec, ["a", "b", "c"], 42)
    args = TrainingArguments(output_dir=str(tmp_path / "out"), learning_rate=lr, weight_decay=0.01,
                             warmup_steps=0.25, num_train_epochs=1, per_device_train_batch_size=2,
                             use_cpu=True, report_to="none", disable_tqdm=True, save_strategy="no")
    rows = [{"input_ids": [101, 2000 + i, 102], "labels": i % 3} for i in range(8)]
    return Trainer(model=model, args=args, train_dataset=rows,
                   data_collator=DataCollatorWithPadding(load_tokenizer(spec))), spec


def test_the_head_learns_at_the_head_rate_and_the_body_at_the_runs(tmp_path):
    trainer, spec = tiny_trainer(tmp_path)
    optimizer = head_faster_optimizer(trainer, spec.head, HEAD_LR)
    names = {id(p): name for name, p in trainer.model.named_parameters()}
    seen = []
    for group in optimizer.param_groups:
        heads = {is_head(names[id(p)], spec.head) for p in group["params"]}
        assert len(heads) == 1  # a group is all head or all body
        assert group["lr"] == (HEAD_LR if heads.pop() else BODY_LR)
        seen += [names[id(p)] for p in group["params"]]
    trainable = [name for name, p in trainer.model.named_parameters() if p.requires_grad]
    assert sorted(seen) == sorted(trainable)  # every trainable weight once
    assert {name for name in seen if is_head(name, spec.head)} == {
        "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"}


def test_weight_decay_and_the_optimizer_are_the_trainers_own(tmp_path):
    trainer, spec = tiny_trainer(tmp_path / "ours")
    ours = head_faster_optimizer(trainer, spec.head, HEAD_LR)
    plain, _ = tiny_trainer(tmp_path / "own")
    own = plain.create_optimizer()  # what the Trainer builds without us, on a twin model

    def options(t, optimizer):  # per parameter name: every group option but the rate
        names = {id(p): name for name, p in t.model.named_parameters()}
        return {names[id(p)]: {k: v for k, v in g.items() if k not in ("params", "lr")}
                for g in optimizer.param_groups for p in g["params"]}

    assert options(trainer, ours) == options(plain, own)
    assert {o["weight_decay"] for o in options(plain, own).values()} == {0.0, 0.01}
    assert type(ours) is type(own)


def test_only_full_gives_the_head_a_rate_of_its_own_and_never_a_slower_one():
    assert head_learning_rate_for("full", BODY_LR) == HEAD_LR
    assert head_learning_rate_for("full", 2e-3) == 2e-3  # a head never learns slower than the body
    assert head_learning_rate_for("frozen", 1e-3) is None and head_learning_rate_for("lora", 2e-3) is None
    assert default_lrs_text() == "5e-05 full (its new head at least 0.001), 0.002 lora, 0.001 frozen"


def test_train_keeps_the_optimizer_and_its_schedule_scales_both(tmp_path):
    trainer, spec = tiny_trainer(tmp_path)
    trainer.optimizer = head_faster_optimizer(trainer, spec.head, HEAD_LR)
    ratios = []

    from transformers import TrainerCallback

    class Ratio(TrainerCallback):
        def on_step_end(self, args, state, control, optimizer=None, **kwargs):
            rates = {g["lr"] for g in optimizer.param_groups}
            if min(rates) > 0:
                ratios.append(max(rates) / min(rates))

    trainer.add_callback(Ratio())
    trainer.train()
    assert rates_used(trainer, spec.head) == {"head": HEAD_LR, "body": BODY_LR}
    assert ratios and all(r == pytest.approx(HEAD_LR / BODY_LR) for r in ratios)


def test_rates_used_reads_the_optimizer_that_ran(tmp_path):
    trainer, spec = tiny_trainer(tmp_path)
    trainer.train()  # the Trainer's own optimizer: one rate for all
    assert rates_used(trainer, spec.head) == {"head": BODY_LR, "body": BODY_LR}
