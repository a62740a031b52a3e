"""`/finetune` and its buttons, modals and file events, in process. Nothing trains: the job queue is
the real Huey queue (its SQLite file), or Huey's immediate mode where a task must run ("Try it")."""

from __future__ import annotations

import json

import pytest

from bot import finetune_views
from tests.helpers import ADA, GENERAL, LIN, TEAM, api_calls, buttons, dm, ephemerals, text_of, wait_dm, wait_journal
from tests.inprocess import covers

CSV = b"text,label\n" + b"".join(f"refund please {i},billing\nlogin fails {i},account\n".encode() for i in range(30))


def jobs(t, user=LIN):
    return t.services.jobs.for_user(TEAM, user)


def replies(t, user=LIN, channel=GENERAL) -> str:
    return " ".join(text_of(m) for m in ephemerals(t.ws, channel, user))


@covers("handlers.finetune.finetune_command")
def test_help_status_and_cancel_without_a_run(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/finetune", "help")
    t.ws.slash(LIN, "/finetune", "status")
    t.ws.slash(LIN, "/finetune", "cancel")
    t.ws.slash(LIN, "/finetune", "cancel 99")
    t.wait(lambda: len(ephemerals(t.ws, user=LIN)) >= 4)
    body = replies(t)
    assert "data=" in body and "no fine-tune runs yet" in body and "Which run?" in body
    assert jobs(t) == []


@covers("handlers.finetune.finetune_command")
def test_check_posts_a_data_report_and_queues_nothing(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/finetune", "check data=support_tickets")
    report = wait_dm(t.ws, LIN, lambda m: "Data report" in m.get("text", ""))[0]
    assert "Ready to train" in json.dumps(report["blocks"], ensure_ascii=False)
    t.settle()
    assert jobs(t) == [] and t.services.queues.train.pending_count() == 0


@covers("handlers.finetune.finetune_command", "handlers.finetune.cancel_clicked")
def test_a_request_is_queued_and_its_cancel_button_cancels_it(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=1")
    t.wait(lambda: "is queued" in replies(t))
    job = jobs(t)[0]
    assert job.state == "queued" and t.services.queues.train.pending_count() == 1
    message = wait_dm(t.ws, LIN, lambda m: buttons(m, "finetune_cancel"))[-1]
    t.ws.click(ADA, message, "finetune_cancel")  # not Ada's run
    t.settle()
    assert t.services.jobs.get(job.id).state == "queued"
    t.ws.click(LIN, message, "finetune_cancel")
    t.wait(lambda: t.services.jobs.get(job.id).state == "cancelled", message="the job cancelled")
    told = wait_journal(t.ws, "chat.postEphemeral", where=lambda e: e["args"].get("user") == LIN)
    assert "cancel" in told[0]["args"]["text"].lower()


@covers("handlers.finetune.finetune_command", "handlers.finetune.request_submitted")
def test_the_request_modal_reports_field_errors_then_starts_a_run(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/finetune", "")
    view = t.wait(lambda: t.ws.open_views(LIN))[-1]
    assert view["callback_id"] == "finetune_request"
    refused = t.ws.submit_view(LIN, view, {"lr": "abc"})
    assert refused.json["response_action"] == "errors" and "lr" in refused.json["errors"]
    assert t.ws.open_views(LIN), "the modal stays open to fix the field"
    t.settle()
    assert jobs(t) == []
    accepted = t.ws.submit_view(LIN, view, {"model": "tiny", "epochs": "1"})
    assert accepted.status == 200 and not accepted.json
    job = t.wait(lambda: [j for j in jobs(t) if j.state == "queued"])[0]
    assert job.request["data"] == "support_tickets" and job.request["epochs"] == 1


@covers("handlers.finetune.exercise_clicked")
def test_an_exercise_button_starts_its_preset_once(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "3.1", channel=t.ws.dm_channel(LIN))
    for page in range(1, t.services.course.page_count("3.1")):
        message = wait_dm(t.ws, LIN, lambda m: any(json.loads(b["value"])["p"] == page
                                                   for b in buttons(m, "lesson_continue")))[-1]
        t.ws.click(LIN, message, "lesson_continue")
    exercise = wait_dm(t.ws, LIN, lambda m: buttons(m, "exercise_run_0"))[0]
    click = t.ws.click(LIN, exercise, "exercise_run_0")
    job = t.wait(lambda: jobs(t))[0]
    assert job.request["data"] == "support_tickets"
    t.ws.resend(click)  # a double click starts one run
    t.settle()
    assert len(jobs(t)) == 1


def post_results(t, user=LIN):
    """A finished job and its results message (what the worker posts), with its "Try it" button."""
    job = t.services.jobs.create(TEAM, user, {"data": "support_tickets", "model": "tiny"}, t.ws.dm_channel(user))
    result = {"metrics": {"accuracy": 0.9, "macro_f1": 0.88}, "per_class": [{"label": "billing"}, {"label": "account"}]}
    t.services.jobs.transition(job.id, ("validating",), "succeeded", result=result)
    job = t.services.jobs.get(job.id)
    posted = t.services.client.chat_postMessage(channel=job.channel, **finetune_views.results_message(job, result))
    return job, {"channel": job.channel, "ts": posted["ts"]}


@pytest.fixture
def immediate_predictions(tutor_inproc):
    """Run "Try it" predictions in this process as they are enqueued (Huey's immediate mode): the task
    runs the worker the composition root builds from the same settings."""
    tutor_inproc.services.queues.predict.immediate = True
    yield tutor_inproc
    tutor_inproc.services.queues.predict.immediate = False


@covers("handlers.finetune.try_clicked", "handlers.finetune.try_submitted")
def test_try_it_opens_a_modal_and_a_prediction_answers_in_it(immediate_predictions):
    t = immediate_predictions
    job, results = post_results(t)
    t.ws.click(ADA, results, "finetune_try")  # not Ada's model
    t.wait(lambda: [e for e in t.ws.journal(kind="response_url") if "belongs to someone else" in json.dumps(e["body"])])
    assert not t.ws.open_views(ADA)
    t.ws.click(LIN, results, "finetune_try")
    modal = t.wait(lambda: t.ws.open_views(LIN))[-1]
    assert modal["callback_id"] == "finetune_try_modal" and "billing" in json.dumps(modal)
    empty = t.ws.submit_view(LIN, modal, {"text": ""})
    assert empty.json["response_action"] == "errors"
    sent = t.ws.submit_view(LIN, modal, {"text": "I was charged twice"})
    assert sent.json["response_action"] == "update" and "Predicting" in json.dumps(sent.json["view"])
    # the task ran (immediate mode): this job has no saved model, so the modal says so in place
    update = wait_journal(t.ws, "views.update")
    assert "not available" in json.dumps(update[0]["args"]) and update[0]["args"]["view_id"] == modal["id"]


@covers("handlers.finetune.file_shared", "handlers.ask.message_received", "handlers.finetune.upload_clicked")
def test_an_uploaded_file_is_offered_checked_and_trained_on(tutor_inproc):
    t = tutor_inproc
    file, deliveries = t.ws.upload_file(LIN, "tickets.csv", CSV)
    assert [d.status for d in deliveries] == [200, 200]  # file_shared, and the message event acked quietly
    offer = wait_dm(t.ws, LIN, lambda m: buttons(m, "finetune_upload_"))[0]
    assert "tickets.csv" in offer["text"]
    t.ws.click(LIN, offer, "finetune_upload_check")
    report = wait_dm(t.ws, LIN, lambda m: "Data report" in m.get("text", ""))[0]
    assert "rows" in json.dumps(report["blocks"])
    assert jobs(t) == []
    t.ws.click(ADA, offer, "finetune_upload_train")  # not Ada's file
    t.settle()
    assert jobs(t, ADA) == [] and jobs(t) == []
    train = t.ws.click(LIN, offer, "finetune_upload_train")
    job = t.wait(lambda: [j for j in jobs(t) if j.state == "queued"])[0]
    assert job.request["data"] == file["id"]
    t.ws.resend(train)
    t.settle()
    assert len(jobs(t)) == 1


@covers("handlers.finetune.file_shared")
def test_a_file_shared_outside_the_dm_is_ignored(tutor_inproc):
    t = tutor_inproc
    t.ws.upload_file(LIN, "tickets.csv", CSV, channel=GENERAL)
    t.settle()
    assert not t.ws.journal("chat.postMessage") and not dm(t.ws, LIN)


