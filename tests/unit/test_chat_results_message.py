"""A chat fine-tune's results message: the checks table for base and tuned, held-out prompts with both
answers side by side, escaped text, Try it; and the "Try it" modal showing both answers."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bot import finetune_views
from sandbox.blockkit import check_blocks, check_view

CHAT_RESULT = {
    "task": "chat",
    "checks": {"format": {"base": 0.0, "tuned": 0.9375}, "rouge_l": {"base": 0.12, "tuned": 0.61},
               "length": {"base": 88.2, "tuned": 61.0}},
    "base": {"format_count": 0, "reference_length": 60.5}, "tuned": {"format_count": 30, "reference_length": 60.5},
    "splits": {"train": 272, "validation": 16, "test": 32},
    "examples": [{"prompt": f"Sync <broken> & slow {i}", "reference": "Hi there", "base": "Sure! <b>x</b>",
                  "tuned": "Hi there, thanks for reaching out!\n1. a\n2. b\n— Sam, Quillpad Support"} for i in range(6)],
    "timings": {"train_seconds": 400.0},
    "training": {"best_validation_loss": 0.81},
    "paths": {"adapter_dir": "/x/adapter", "model_dir": "/x/model"},
}


def _message():
    job = SimpleNamespace(id=9, user_id="U1", request={"task": "chat", "data": "support_chat", "model": "smollm2",
                                                       "method": "lora", "epochs": 2})
    return finetune_views.results_message(job, CHAT_RESULT)


def test_checks_table_and_side_by_side_answers():
    msg = _message()
    body = json.dumps(msg["blocks"])
    assert "30 of 32" in body and "Follows the house format" in body and "94%" in body and "0.61" in body
    side_by_side = [b for b in msg["blocks"] if b.get("fields") and "*Base model*" in b["fields"][0]["text"]]
    assert len(side_by_side) == 5 and "*Tuned*" in side_by_side[0]["fields"][1]["text"]
    assert "&lt;broken&gt; &amp; slow" in body and "<b>" not in body  # learner text is escaped
    assert "finetune_try" in body and "lowest validation loss (0.810)" in body
    assert msg["text"].startswith("Fine-tune #9: chat")


def test_message_is_valid_block_kit():
    assert check_blocks(_message()["blocks"]) == []
    assert check_view(finetune_views.prediction_modal(9, "q", {"task": "chat", "base": "a" * 3000, "tuned": "b"})) == []


def test_classification_results_are_unchanged():
    job = SimpleNamespace(id=3, user_id="U1", request={"method": "full", "data": "support_tickets"})
    msg = finetune_views.results_message(job, {"metrics": {"accuracy": 0.9, "macro_f1": 0.8}})
    assert msg["text"].startswith("Fine-tune #3: accuracy")


def test_try_it_modal_shows_both_answers():
    view = finetune_views.prediction_modal(9, "Where are my <notes>?",
                                           {"task": "chat", "base": "No idea.", "tuned": "Hi there, thanks!"})
    body = json.dumps(view)
    assert "*Base model*" in body and "*Tuned*" in body and "Hi there, thanks!" in body
    assert "&lt;notes&gt;" in body
    assert finetune_views.try_modal(9, chat=True)["submit"]["text"] == "Ask both"
