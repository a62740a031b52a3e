"""Keep the best epoch's weights in memory instead of checkpoints on disk.

The Trainer's own way (`save_strategy="epoch"` + `load_best_model_at_end`) writes every epoch's model
to disk and reads the best one back: for MiniLM about 90 MB each way, a second or so of a 30-second
run spent on files nobody keeps (issue 14). A copy of the weights in memory does the same job, and it
need only hold what a fit can change: the trained parameters and the buffers. A frozen parameter
(the embedding rows no training text uses, a LoRA run's base weights) ends the fit as it began, so it
is not copied: half of MiniLM's weights in a `full` run, nearly all of them in a `lora` one. When the
best evaluation is the last one (a run that improves to its end), the weights the fit ends with are
the best ones already: no copy is made and none is put back. Early stopping is unchanged: the
Trainer still tracks the best validation macro-F1 (`metric_for_best_model`).
"""

from __future__ import annotations

from transformers import EarlyStoppingCallback, TrainerCallback


def changeable_weights(model) -> dict:
    """A copy of what a fit can change in `model`: its state dict without the frozen parameters."""
    frozen = {name for name, p in model.named_parameters(remove_duplicate=False) if not p.requires_grad}
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()
            if name not in frozen}


class BestWeights(TrainerCallback):
    """On each evaluation that beats the best `metric` so far (strictly, so the first of equals is
    kept, as the Trainer does), copy the model's weights (unless no step follows); at the end of
    training, put the copy back."""

    def __init__(self, metric: str = "eval_macro_f1"):
        self.metric = metric
        self.best: float | None = None
        self.weights: dict | None = None

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        value = (metrics or {}).get(self.metric)
        if value is None or model is None or (self.best is not None and value <= self.best):
            return
        self.best = value
        last = state is not None and state.max_steps and state.global_step >= state.max_steps
        # after the last step nothing changes the weights again: no copy needed
        self.weights = None if last else changeable_weights(model)

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self.weights is not None and model is not None:
            result = model.load_state_dict(self.weights, strict=False)
            if result.unexpected_keys:
                raise RuntimeError(f"the best weights do not fit the model: {result.unexpected_keys[:3]}")
        self.weights = None  # the memory goes back once the model has them


class EarlyStopping(EarlyStoppingCallback):
    """transformers' early stopping, without its warning that the best model will not be loaded at
    the end: `BestWeights` loads it."""

    def on_train_begin(self, args, state, control, **kwargs):
        if args.metric_for_best_model is None:
            raise ValueError("early stopping needs metric_for_best_model")
