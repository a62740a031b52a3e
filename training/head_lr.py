"""The fresh head's own learning rate in a `full` fine-tune (worker only: imports transformers).

A classifier is a pre-trained body and a new, randomly initialised head. `full` trained both at the
body's small learning rate (5e-5), where the head learns too slowly to catch up in a few epochs: on
Banking77 (77 intents) on an H200, `full` reached 0.775 accuracy while `frozen` and `lora`, whose
heads learn at 1e-3 and 2e-3, reached 0.92 (docs/benchmarks.md, "The CUDA path"). Lesson 4.1 says
the same: the head needs a learning rate of about 1e-3, and a full fine-tune usually scores highest.
So in `full` the head (the spec's `head` modules: the classifier and the pooler that feeds it)
learns at HEAD_LR, or at the run's learning rate where that is higher
(`training.config.head_learning_rate_for`), and the body at the run's learning rate. Everything
else is the Trainer's own optimizer, split rather than rebuilt: its class and settings, its weight
decay groups, and its warm-up and decay schedule, which scales every group alike.
"""

from __future__ import annotations


def is_head(name: str, head_modules: tuple[str, ...]) -> bool:
    """Whether a parameter (by its dotted name) belongs to one of the head's modules."""
    return any(part in head_modules for part in name.split("."))


def head_parameter_ids(model, head_modules: tuple[str, ...]) -> set[int]:
    return {id(p) for name, p in model.named_parameters() if is_head(name, head_modules)}


def head_faster_optimizer(trainer, head_modules: tuple[str, ...], head_lr: float):
    """The optimizer `trainer` builds itself (`create_optimizer`: its class, settings and weight-decay
    groups), with each group split so the head's parameters learn at `head_lr`. Set it as
    `trainer.optimizer` before `train()`, which then keeps it."""
    optimizer = trainer.create_optimizer()  # nothing stepped yet: it holds no state to move
    heads = head_parameter_ids(trainer.model, head_modules)
    groups, optimizer.param_groups = optimizer.param_groups, []
    for group in groups:
        options = {key: value for key, value in group.items() if key != "params"}
        for head in (False, True):
            params = [p for p in group["params"] if (id(p) in heads) == head]
            if params:
                optimizer.add_param_group({**options, "params": params,
                                           "lr": head_lr if head else options["lr"]})
    return optimizer


def rates_used(trainer, head_modules: tuple[str, ...]) -> dict:
    """The peak learning rates the trainer's optimizer gave the head and the body ({"head", "body"};
    None where it has no such parameters), read from the optimizer that ran, so a result reports
    what was trained, not what was meant."""
    head_ids = head_parameter_ids(trainer.model, head_modules)
    rates: dict[str, float | None] = {"head": None, "body": None}
    for group in trainer.optimizer.param_groups:
        rate = group.get("initial_lr", group["lr"])  # the schedule's peak; `lr` is where it ended
        for parameter in group["params"]:
            part = "head" if id(parameter) in head_ids else "body"
            rates[part] = max(rates[part] or 0.0, rate)
    return rates
