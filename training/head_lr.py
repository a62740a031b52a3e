"""The fresh head's own learning rate in a `full` fine-tune (worker only: imports transformers).

A classifier is a pre-trained body and a new, randomly initialised head. `full` trained both at the
body's small learning rate (5e-5), where the head learns too slowly to catch up in a few epochs: on
Banking77 (77 intents) on an H200, `full` reached 0.775 accuracy while `frozen` and `lora`, whose
heads learn at 1e-3 and 2e-3, reached 0.92 (docs/benchmarks.md, "The CUDA path"). Lesson 4.1 says
the same: the head needs a learning rate of about 1e-3, and a full fine-tune usually scores highest.
So in `full` the head (the spec's `head` modules: the classifier and the pooler that feeds it)
learns at HEAD_LR, or at the run's learning rate where that is higher
(`training.config.head_learning_rate_for`), and the body at the run's learning rate. Everything
else is the Trainer's own optimizer: its class and settings, its weight decay groups, its warm-up
and decay schedule, which scales every group alike.
"""

from __future__ import annotations


def is_head(name: str, head_modules: tuple[str, ...]) -> bool:
    """Whether a parameter (by its dotted name) belongs to one of the head's modules."""
    return any(part in head_modules for part in name.split("."))


def head_faster_optimizer(trainer, head_modules: tuple[str, ...], head_lr: float):
    """The optimizer `trainer` would build, with the head's parameters in groups of their own at
    `head_lr`. Set it as `trainer.optimizer` before `train()`, which then keeps it."""
    from transformers import Trainer

    model = trainer.model
    decay = set(trainer.get_decay_parameter_names(model))
    body_lr = trainer.args.learning_rate
    groups: dict[tuple[bool, bool], list] = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            groups.setdefault((is_head(name, head_modules), name in decay), []).append(parameter)
    optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(trainer.args, model)
    return optimizer_cls([{"params": parameters, "weight_decay": trainer.args.weight_decay if decays else 0.0,
                           "lr": head_lr if head else body_lr}
                          for (head, decays), parameters in groups.items()], **optimizer_kwargs)


def rates_used(trainer, head_modules: tuple[str, ...]) -> dict:
    """The peak learning rates the trainer's optimizer gave the head and the body ({"head", "body"};
    None where it has no such parameters), read from the optimizer that ran, so a result reports
    what was trained, not what was meant."""
    head_ids = {id(p) for name, p in trainer.model.named_parameters() if is_head(name, head_modules)}
    rates: dict[str, float | None] = {"head": None, "body": None}
    for group in trainer.optimizer.param_groups:
        rate = group.get("initial_lr", group["lr"])  # the schedule's peak; `lr` is where it ended
        for parameter in group["params"]:
            part = "head" if id(parameter) in head_ids else "body"
            rates[part] = max(rates[part] or 0.0, rate)
    return rates
