"""/finetune end to end: the real bot, the sandbox, and a real worker process training a tiny model."""

from __future__ import annotations

import json
import signal

import pytest

from bot.processes import stop_process
from tests.helpers import LIN, dm, latest_job, spawn_worker

pytestmark = pytest.mark.slow


def job_message(tutor, job_id):
    return next(m for m in dm(tutor.ws, LIN) if f"Fine-tune #{job_id}" in m.get("text", "") or
                f"Fine-tune #{job_id}*" in json.dumps(m.get("blocks", [])))


def test_finetune_to_results_plots_and_try_it(tutor):
    worker = spawn_worker(tutor)
    try:
        delivery = tutor.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=2 per_class=40")
        assert delivery.status == 200 and delivery.latency < 3
        job = tutor.ws.wait_for(lambda: latest_job(tutor))
        results = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if m.get("text", "").startswith(f"Fine-tune #{job.id}: accuracy")],
                                    timeout=240)
        body = json.dumps(results[0]["blocks"])
        assert "Macro-F1" in body and "Majority-class baseline" in body and "TF-IDF" in body
        updates = [e for e in tutor.ws.journal("chat.update") if "Fine-tune #" in json.dumps(e["args"])]
        assert any("running" in json.dumps(e["args"]) for e in updates), "the progress message was updated"
        images = tutor.ws.wait_for(lambda: [f for m in dm(tutor.ws, LIN) for f in m.get("files", []) if f["name"].endswith(".png")],
                                   timeout=30)
        assert len(images) >= 2
        assert tutor.services.jobs.get(job.id).state == "succeeded"
        # Try it: a modal, a text, a prediction computed by the worker
        tutor.ws.click(LIN, results[0], "finetune_try")
        view = tutor.ws.wait_for(lambda: tutor.ws.open_views(LIN))[-1]
        response = tutor.ws.submit_view(LIN, view, {"text": {"value": "I was charged twice for my subscription"}})
        assert response.status == 200
        predicted = tutor.ws.wait_for(lambda: [v for v in tutor.ws.open_views(LIN) if "Prediction:" in json.dumps(v)],
                                      timeout=60)
        labels = {"billing", "technical", "account", "shipping", "feedback"}
        assert any(label in json.dumps(predicted[-1]) for label in labels)
    finally:
        stop_process(worker, kill=True)


def test_cancel_a_running_job(tutor):
    worker = spawn_worker(tutor)
    try:
        tutor.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=20")
        job = tutor.ws.wait_for(lambda: (lambda j: j if j and j.state == "running" else None)(latest_job(tutor)), timeout=120)
        message = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "finetune_cancel" in json.dumps(m.get("blocks", []))])[0]
        tutor.ws.click("U0ADA", message, "finetune_cancel")  # not the owner: nothing happens
        tutor.settle()  # that click's listener has finished
        assert tutor.services.jobs.get(job.id).state == "running"
        tutor.ws.click(LIN, message, "finetune_cancel")
        tutor.ws.wait_for(lambda: tutor.services.jobs.get(job.id).state == "cancelled", timeout=60)
        tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if m.get("text") == f"Fine-tune #{job.id}: cancelled"])
    finally:
        stop_process(worker, kill=True)


def test_worker_killed_mid_job_fails_the_job_and_tells_the_owner(tutor):
    worker = spawn_worker(tutor)
    try:
        tutor.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=20")
        job = tutor.ws.wait_for(lambda: (lambda j: j if j and j.state == "running" else None)(latest_job(tutor)), timeout=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        from datetime import datetime, timedelta, timezone

        tutor.runtime.tick()
        assert tutor.services.jobs.get(job.id).state == "running", "a fresh heartbeat is not reaped"
        # the worker's heartbeat is wall-clock time: move the bot's clock past the heartbeat timeout
        tutor.clock.set(datetime.now(timezone.utc) + tutor.services.jobs.heartbeat_timeout + timedelta(seconds=5))
        tutor.runtime.tick()
        assert tutor.services.jobs.get(job.id).state == "failed"
        assert tutor.services.jobs.get(job.id).error_code == "worker_lost"
        tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if f"Fine-tune #{job.id} stopped" in m.get("text", "")])
    finally:
        stop_process(worker, kill=True)


def test_bad_request_gets_a_clear_message_and_no_job(tutor):
    for text in ("data=/etc/passwd", "data=https://evil.example/x.csv", "epochs=-1 data=support_tickets",
                 "lr=abc data=support_tickets", "model=gpt-huge data=support_tickets"):
        delivery = tutor.ws.slash(LIN, "/finetune", text, channel="C0GENERAL")
        assert delivery.status == 200
    replies = tutor.ws.wait_for(lambda: (lambda r: r if len(r) >= 5 else None)(
        [m for m in tutor.ws.messages("C0GENERAL") if m.get("is_ephemeral")]))
    for reply in replies:
        assert "⚠️" in reply["text"] and "Traceback" not in reply["text"]
    assert latest_job(tutor) is None


def test_queued_job_survives_a_restart_of_bot_and_worker(tmp_path):
    """Queued with no worker running; the bot restarts on the same data; a new worker runs it."""
    from tests.conftest import start_tutor, stop_tutor

    first = start_tutor(tmp_path)
    try:
        first.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=1 per_class=12")
        job = first.ws.wait_for(lambda: (lambda j: j if j and j.state == "queued" else None)(latest_job(first)))
    finally:
        stop_tutor(first)
    second = start_tutor(tmp_path)
    worker = spawn_worker(second)
    try:
        second.ws.wait_for(lambda: second.services.jobs.get(job.id).state in ("succeeded", "failed"), timeout=240)
        assert second.services.jobs.get(job.id).state == "succeeded"
    finally:
        stop_process(worker, kill=True)
        stop_tutor(second)
