"""Ask the tutor about a lesson page or a run, in process: the "Ask about this" modal answered in the
message's thread, a "thinking…" reply replaced in place by a slow answer, and questions typed in the
thread of a fine-tune result answered with that run's numbers (only the owner's own run)."""

from __future__ import annotations

import json
import threading

import pytest

from bot.store.models import TutorQuestion
from tests.helpers import ADA, LIN, TEAM, buttons, rejected_api_calls, text_of
from tests.handlers.ask_fixtures import thread_replies, tutor_inproc  # noqa: F401 (a fixture)
from tests.inprocess import covers, start_inprocess, stop_inprocess


def answers(ws, channel: str, thread_ts: str) -> list[dict]:
    """The bot's replies in the thread, once no "thinking…" one is left (it is replaced in place)."""
    replies = [m for m in thread_replies(ws, channel, thread_ts) if m.get("bot_id")]
    return [] if any("Thinking" in m.get("text", "") for m in replies) else replies


def finished_run(t, user=LIN, *, val=((1, 0.6), (2, 0.45), (3, 0.52))) -> int:
    request = {"data_kind": "sample", "data": "support_tickets", "model": "minilm", "method": "full", "epochs": 3,
               "lr": None, "batch_size": 16, "per_class": None}
    job = t.services.jobs.create(TEAM, user, request, t.ws.dm_channel(user))
    result = {"metrics": {"accuracy": 0.82, "macro_f1": 0.61},
              "per_class": [{"label": "billing", "precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 40},
                            {"label": "<!channel> refunds", "precision": 0.3, "recall": 0.2, "f1": 0.24, "support": 5}],
              "confused_pairs": [{"true": "<!channel> refunds", "predicted": "billing", "count": 4, "examples": []}],
              "baselines": {"tfidf_logreg": {"accuracy": 0.8, "macro_f1": 0.66},
                            "majority": {"accuracy": 0.5, "macro_f1": 0.2}},
              "timings": {"train_seconds": 40.0, "train_examples_per_second": 10.0},
              "training": {"loss_curve": {"train": [], "validation": [list(p) for p in val]}}}
    assert t.services.jobs.transition(job.id, ("validating",), "succeeded", result=result)
    return job.id


def results_post(t, job_id: int) -> dict:
    t.services.finetune.messages.announce(job_id)
    return t.wait(lambda: [m for m in t.ws.messages(t.ws.dm_channel(LIN)) if f"Results of fine-tune #{job_id}"
                           in text_of(m)])[0]


def ask_in_thread(t, user: str, parent: dict, text: str) -> dict:
    channel = t.ws.dm_channel(user)
    stored = t.ws._server.state.add_message(channel, {"type": "message", "user": user, "team": TEAM, "text": text,
                                                      "thread_ts": parent["ts"]})
    t.ws.event("message", user, channel=channel, channel_type="im", text=text, ts=stored["ts"],
               thread_ts=parent["ts"], team=TEAM)
    return t.wait(lambda: answers(t.ws, channel, parent["ts"]))[-1]


@covers("handlers.ask.ask_about_clicked", "handlers.ask.ask_submitted")
def test_ask_about_this_on_a_lesson_page_answers_in_the_pages_thread(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "3.2")
    page = t.wait(lambda: [m for m in t.ws.messages(t.ws.dm_channel(LIN)) if buttons(m, "tutor_ask_about")])[0]
    t.ws.click(LIN, page, "tutor_ask_about")
    modal = t.wait(lambda: t.ws.open_views(LIN))[-1]
    assert modal["callback_id"] == "tutor_ask_modal" and "Lesson 3.2" in json.dumps(modal)
    refused = t.ws.submit_view(LIN, modal, {"question": "   "})
    assert refused.json["response_action"] == "errors" and "question" in refused.json["errors"]
    t.ws.submit_view(LIN, modal, {"question": "what batch size should I use? <!channel>"})
    reply = t.wait(lambda: answers(t.ws, t.ws.dm_channel(LIN), page["ts"]))[0]
    assert "Lesson 3.2" in text_of(reply) and "what batch size should I use?" in text_of(reply)
    assert "<!channel>" not in json.dumps(reply)  # the repeated question is escaped, never a ping
    assert buttons(reply, "tutor_feedback_")
    t.settle()
    with t.services.db.session() as session:
        [row] = session.query(TutorQuestion).all()
    assert row.thread_ts == page["ts"] and row.answer_ts == reply["ts"]
    assert not rejected_api_calls(t.ws)


@covers("handlers.ask.ask_about_clicked")
def test_ask_about_someone_elses_page_opens_nothing(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "3.2")
    page = t.wait(lambda: [m for m in t.ws.messages(t.ws.dm_channel(LIN)) if buttons(m, "tutor_ask_about")])[0]
    t.ws.click(ADA, page, "tutor_ask_about")
    t.settle()
    assert not t.ws.open_views(ADA) and not t.ws.journal("views.open")


@covers("handlers.ask.message_received")
def test_a_slow_answer_first_says_thinking_then_replaces_it_in_place(tutor_inproc):
    t = tutor_inproc
    service = t.services.tutor
    service.thinking_after = 0.0
    tutor = service.tutor
    original = tutor.ask
    channel = t.ws.dm_channel(LIN)
    released = threading.Event()

    def slow_ask(*args, **kwargs):  # the answer waits until the thinking message is there
        t.wait(lambda: [m for m in t.ws.messages(channel) if "Thinking" in text_of(m)])
        released.set()
        return original(*args, **kwargs)

    tutor.ask = slow_ask
    t.ws.send_dm(LIN, "what learning rate should I use?")
    question = [m for m in t.ws.messages(channel) if m.get("user") == LIN][-1]
    t.settle()
    assert released.is_set()
    [reply] = thread_replies(t.ws, channel, question["ts"])
    assert "Lesson 3.2" in text_of(reply) and "Thinking" not in text_of(reply)
    assert [c["args"]["ts"] for c in t.ws.journal("chat.update")] == [reply["ts"]]


@covers("handlers.ask.message_received")
def test_a_question_in_a_results_thread_uses_that_runs_numbers(tutor_inproc):
    t = tutor_inproc
    job_id = finished_run(t)
    post = results_post(t, job_id)
    assert buttons(post, "tutor_ask_about")
    reply = ask_in_thread(t, LIN, post, "why is my score so bad?")
    text = text_of(reply)
    assert f"Fine-tune #{job_id}: accuracy 82.0%, macro-F1 61.0%" in text
    assert "Weakest class" in text and "refunds" in text and "read as" in text
    assert "TF-IDF baseline: -5.0" in text and "Validation loss rose" in text
    assert "Lesson " in text and "<!channel>" not in json.dumps(reply)  # next to the course passage; labels escaped


@covers("handlers.ask.ask_submitted")
def test_ask_about_this_on_a_result_answers_with_the_run(tutor_inproc):
    t = tutor_inproc
    job_id = finished_run(t, val=((1, 0.6), (2, 0.5)))
    post = results_post(t, job_id)
    t.ws.click(LIN, post, "tutor_ask_about")
    modal = t.wait(lambda: t.ws.open_views(LIN))[-1]
    assert f"fine-tune #{job_id}" in json.dumps(modal)
    t.ws.submit_view(LIN, modal, {"question": "did it overfit?"})
    reply = t.wait(lambda: answers(t.ws, t.ws.dm_channel(LIN), post["ts"]))[0]
    assert "Validation loss did not rise" in text_of(reply) and "Weakest class" in text_of(reply)


@covers("handlers.ask.message_received")
def test_a_question_in_a_lesson_pages_thread_prefers_that_lesson(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "4.2")
    page = t.wait(lambda: [m for m in t.ws.messages(t.ws.dm_channel(LIN)) if buttons(m, "tutor_ask_about")])[0]
    question = "how do I choose the rank?"
    assert not t.services.tutor.tutor.ask(question).in_scope  # out of its lesson's thread: too vague to answer
    ask_in_thread(t, LIN, page, question)
    with t.services.db.session() as session:
        [row] = session.query(TutorQuestion).all()
    assert row.citations[0]["lesson"] == "4.2"


@covers("handlers.ask.message_received")
def test_a_forged_ask_button_on_someone_elses_run_gives_no_numbers(tutor_inproc):
    t = tutor_inproc
    job_id = finished_run(t, user=ADA)
    channel = t.ws.dm_channel(LIN)
    # a message in Lin's DM carrying Ada's run in an "Ask about this" button owned by Lin (forged)
    value = json.dumps({"l": "", "j": job_id, "u": LIN})
    parent = t.ws._server.state.add_message(channel, {
        "type": "message", "user": "U0BOT", "bot_id": "B0BOT", "text": "results", "blocks": [
            {"type": "actions", "block_id": "a", "elements": [
                {"type": "button", "action_id": "tutor_ask_about", "value": value,
                 "text": {"type": "plain_text", "text": "Ask"}}]}]})
    reply = ask_in_thread(t, LIN, parent, "why is my score so bad?")
    assert "Weakest class" not in text_of(reply) and f"#{job_id}" not in text_of(reply)


@covers("handlers.ask.message_received")
def test_with_an_llm_endpoint_a_dm_gets_a_generated_answer_from_the_retrieved_passages(tmp_path):
    from tests.unit.test_tutor_llm import FakeEndpoint

    fake = FakeEndpoint()
    fake.reply = {"choices": [{"message": {"content": "Start around 2e-5 and watch the loss."}}]}
    t = start_inprocess(tmp_path, env={"TUTOR_LLM_BASE_URL": fake.url, "TUTOR_LLM_MODEL": "fake-model"})
    try:
        t.ws.send_dm(LIN, "what learning rate should I use?")
        channel = t.ws.dm_channel(LIN)
        question = [m for m in t.ws.messages(channel) if m.get("user") == LIN][-1]
        reply = t.wait(lambda: answers(t.ws, channel, question["ts"]))[0]
        assert "Start around 2e-5" in text_of(reply) and "Lesson 3.2" in text_of(reply) and "language model" in text_of(reply)
        assert buttons(reply, "tutor_open_lesson_") and buttons(reply, "tutor_feedback_")
        [request] = fake.requests
        prompt = request["body"]["messages"][-1]["content"]
        assert "what learning rate should I use?" in prompt and 1 <= prompt.count("\n[") + prompt.startswith("[") <= 3
        fake.reply = 500  # the endpoint breaks: the extractive answer, never an error
        t.ws.send_dm(LIN, "what does warmup do?")
        second = [m for m in t.ws.messages(channel) if m.get("user") == LIN][-1]
        fallback = t.wait(lambda: answers(t.ws, channel, second["ts"]))[0]
        assert "Lesson 3.2" in text_of(fallback) and "language model" not in text_of(fallback)
    finally:
        stop_inprocess(t)
        fake.close()


@covers("handlers.ask.mention_received")
def test_typing_a_mention_in_general_sends_app_mention_and_is_answered_in_its_thread(tutor_inproc):
    t = tutor_inproc
    stored, delivery = t.ws.say(LIN, "C0GENERAL", "@Finetune Tutor what is lora?")
    assert delivery is not None and delivery.status == 200 and "<@U0BOT>" in stored["text"]
    reply = t.wait(lambda: answers(t.ws, "C0GENERAL", stored["ts"]))[0]
    assert "Lesson 4.2" in text_of(reply)
    plain, nothing = t.ws.say(LIN, "C0GENERAL", "lunch at noon?")
    assert nothing is None


def test_warming_opens_the_index_in_the_background(tutor_inproc):
    service = tutor_inproc.services.tutor
    service._tutor = None
    service.warm().join(60)
    assert service._tutor is not None and service._tutor.index.passages
