"""The results message says which weights were kept (best validation macro-F1) and how to load
the saved model for its method."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bot import finetune_views

RESULT = {"metrics": {"accuracy": 0.9, "macro_f1": 0.89},
          "baselines": {"majority": {"accuracy": 0.2, "macro_f1": 0.07},
                        "tfidf_logreg": {"accuracy": 0.77, "macro_f1": 0.77}},
          "timings": {"train_seconds": 19.3, "train_examples_per_second": 59.5},
          "training": {"best_epoch": 2.0, "epochs_run": 3.0, "selected_by": "validation macro-F1"}}


def _text(method: str, result: dict = RESULT) -> str:
    job = SimpleNamespace(id=7, user_id="U1", request={"method": method, "data": "support_tickets"})
    return json.dumps(finetune_views.results_message(job, result)["blocks"])


def test_results_say_the_kept_epoch_was_chosen_by_validation_macro_f1():
    assert "best validation macro-F1 (epoch 2 of 3 run)" in _text("full")
    no_validation = {**RESULT, "training": {"best_epoch": None, "epochs_run": 3.0}}
    assert "last weights were kept" in _text("full", no_validation)


def test_frozen_results_show_the_one_call_that_loads_the_model():
    assert "training.pooled.load(path)" in _text("frozen")
    assert "training.pooled" not in _text("lora") and "pipeline(" in _text("lora")
