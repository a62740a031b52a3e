"""/finetune requests through Slack without training: the modal, checks, uploads, status, bad input."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ADA, LIN, dm, ephemerals

# (arguments, a phrase the reply must contain) — each must give a clear message and leave no job behind
BAD_REQUESTS = [
    ("data=/etc/passwd", "data"),
    ("data=../content/datasets/support_tickets.csv", "data"),
    ("data=https://evil.example/x.csv", "data"),
    ("data=file:///etc/passwd", "data"),
    ("data=support_tickets epochs=-1", "epochs"),
    ("data=support_tickets epochs=0", "epochs"),
    ("data=support_tickets epochs=1000", "epochs"),
    ("data=support_tickets epochs=two", "epochs"),
    ("data=support_tickets lr=abc", "lr"),
    ("data=support_tickets lr=5", "lr"),
    ("data=support_tickets lr=-1e-5", "lr"),
    ("data=support_tickets method=magic", "method"),
    ("data=support_tickets model=gpt-huge", "model"),
    ("data=support_tickets model=../../etc", "model"),
    ("data=support_tickets batch=1", "batch"),
    ("data=support_tickets per_class=1", "per_class"),
    ("data=support_tickets colour=blue", "colour"),
    ("data=support_tickets epochs=2 epochs=3", "twice"),
    ("data=no_such_set", "no_such_set"),
    ("data=<!channel>", "data"),
    ("upload=F0NOTAFILE", "file"),
    ("data=support_tickets check=maybe", "check"),
    ("epochs=3", "data"),
    ("data=", "data"),
    ("data=support_tickets text=<@U0ADA>", ""),
]


@pytest.mark.parametrize("args, phrase", BAD_REQUESTS)
def test_bad_request_gets_a_clear_message_and_no_job(tutor, args, phrase):
    delivery = tutor.ws.slash(LIN, "/finetune", args, channel="C0GENERAL")
    assert delivery.status == 200 and delivery.latency < 3
    replies = tutor.ws.wait_for(lambda: ephemerals(tutor.ws) + [m for m in dm(tutor.ws, LIN) if "report" in m.get("text", "").lower()])
    text = " ".join(m.get("text", "") + json.dumps(m.get("blocks", []), ensure_ascii=False) for m in replies)
    assert "Traceback" not in text and "Exception" not in text
    assert phrase in text, text
    assert "<!channel>" not in text and "<@U0ADA>" not in text, "user text is escaped"
    for job in tutor.services.jobs.for_user("T0SANDBOX", LIN):
        assert job.state in ("failed", "cancelled", "succeeded"), "no job left in a non-final state"


def test_help_and_empty_status(tutor):
    tutor.ws.slash(LIN, "/finetune", "help")
    tutor.ws.slash(LIN, "/finetune", "status")
    replies = tutor.ws.wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(ephemerals(tutor.ws)))
    body = " ".join(m["text"] + json.dumps(m.get("blocks", [])) for m in replies)
    assert "data=" in body and "no fine-tune runs yet" in body


def test_check_posts_a_data_report_and_queues_nothing(tutor):
    tutor.ws.slash(LIN, "/finetune", "check data=support_tickets")
    report = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "Data report" in m.get("text", "")])[0]
    body = json.dumps(report["blocks"], ensure_ascii=False)
    assert "rows" in body and "billing" in body and "Ready to train" in body
    assert tutor.services.jobs.for_user("T0SANDBOX", LIN) == []


def test_finetune_alone_opens_the_modal_and_field_errors_come_back(tutor):
    tutor.ws.slash(LIN, "/finetune", "")
    view = tutor.ws.wait_for(lambda: tutor.ws.open_views(LIN))[-1]
    assert view["callback_id"] == "finetune_request"
    response = tutor.ws.submit_view(LIN, view, {"lr": {"value": "fast please"}})
    assert response.json["response_action"] == "errors" and "lr" in response.json["errors"]
    assert tutor.services.jobs.for_user("T0SANDBOX", LIN) == []


def test_modal_submission_queues_a_job(tutor):
    tutor.ws.slash(LIN, "/finetune", "")
    view = tutor.ws.wait_for(lambda: tutor.ws.open_views(LIN))[-1]
    response = tutor.ws.submit_view(LIN, view, {"epochs": {"value": "2"}})
    assert response.status == 200
    job = tutor.ws.wait_for(lambda: tutor.services.jobs.for_user("T0SANDBOX", LIN))[0]
    tutor.ws.wait_for(lambda: tutor.services.jobs.get(job.id).state == "queued")
    assert job.request["epochs"] == 2 and job.request["data"] == "support_tickets"
    message = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "position 1" in json.dumps(m.get("blocks", []))])
    assert message
    # status shows it; another learner cannot cancel it; its owner can
    assert tutor.services.finetune.cancel(tutor.ws, "T0SANDBOX", ADA, job.id).startswith("There is no run")
    tutor.ws.slash(LIN, "/finetune", f"cancel {job.id}")
    tutor.ws.wait_for(lambda: tutor.services.jobs.get(job.id).state == "cancelled")


UPLOAD = ("text,label\n" + "".join(f"\"great product number {i}, works well\",positive\n" for i in range(30))
          + "".join(f"\"broke after {i} days, very disappointed\",negative\n" for i in range(30))).encode()


def test_upload_offers_check_and_train_and_the_check_reports(tutor):
    tutor.ws.upload_file(LIN, "reviews.csv", UPLOAD)
    offer = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "finetune_upload_check" in json.dumps(m.get("blocks", []))])[0]
    tutor.ws.click(LIN, offer, "finetune_upload_check")
    report = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "Data report" in m.get("text", "")])[0]
    body = json.dumps(report["blocks"], ensure_ascii=False)
    assert "60 rows" in body and "positive" in body
    downloads = tutor.ws.journal(kind="download")
    assert downloads and all(d.get("authorized", True) for d in downloads)


def test_someone_elses_upload_is_refused(tutor):
    file, _ = tutor.ws.upload_file(ADA, "mine.csv", UPLOAD)
    tutor.ws.slash(LIN, "/finetune", f"upload={file['id']}", channel="C0GENERAL")
    reply = tutor.ws.wait_for(lambda: ephemerals(tutor.ws))[0]
    assert "someone else" in reply["text"]
    assert not tutor.ws.journal(kind="download")


def test_binary_upload_is_refused_with_a_reason(tutor):
    tutor.ws.upload_file(LIN, "data.csv", b"PK\x03\x04" + bytes(range(256)) * 10)
    offer = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "finetune_upload_check" in json.dumps(m.get("blocks", []))])[0]
    tutor.ws.click(LIN, offer, "finetune_upload_check")
    report = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "Data report" in m.get("text", "")])[0]
    assert "Fix the errors" in json.dumps(report["blocks"], ensure_ascii=False)


def test_exercise_button_starts_its_preset(tutor):
    tutor.ws.slash(LIN, "/lesson", "3.1")
    pages = tutor.services.course.page_count("3.1")
    for page in range(1, pages):
        message = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) for b in m.get("blocks", []) if b.get("type") == "actions"
                                             for e in b["elements"] if e.get("action_id") == "lesson_continue"
                                             and json.loads(e["value"])["p"] == page])[-1]
        tutor.ws.click(LIN, message, "lesson_continue")
    exercise = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "exercise_run_0" in json.dumps(m.get("blocks", []))])[0]
    tutor.ws.click(LIN, exercise, "exercise_run_0")
    tutor.ws.click(LIN, exercise, "exercise_run_0")  # a double click starts one run
    job = tutor.ws.wait_for(lambda: tutor.services.jobs.for_user("T0SANDBOX", LIN))[0]
    assert job.request["data"] == "support_tickets"
    tutor.settle()  # both clicks' listeners have finished
    assert len(tutor.services.jobs.for_user("T0SANDBOX", LIN)) == 1
