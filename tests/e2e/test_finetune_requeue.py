"""Crash windows between the queue, the worker and the owner's DM, closed by the bot's tick: a job whose
queue entry was lost is queued again (and runs once); an outcome never announced is announced (once)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.processes import stop_process
from tests.helpers import LIN, dm, latest_job, spawn_worker

pytestmark = pytest.mark.slow


def test_a_job_whose_queue_entry_was_lost_is_queued_again_and_runs_once(tutor):
    tutor.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=1 per_class=12")
    job = tutor.ws.wait_for(lambda: (lambda j: j if j and j.state == "queued" else None)(latest_job(tutor)))
    train = tutor.services.finetune.queues.train
    tutor.clock.advance(tutor.services.finetune.requeue_grace + timedelta(seconds=1))
    tutor.runtime.tick()
    assert train.pending_count() == 1, "a job still in the queue is not queued twice"
    taken = train.dequeue()  # a worker takes the entry ... and is killed before it marks the job running
    assert taken.args == (job.id,) and train.pending_count() == 0
    tutor.runtime.tick()
    assert train.pending_count() == 1 and tutor.services.jobs.get(job.id).state == "queued"
    tutor.runtime.tick()
    assert train.pending_count() == 1
    worker = spawn_worker(tutor)
    try:
        tutor.ws.wait_for(lambda: tutor.services.jobs.get(job.id).state in ("succeeded", "failed"), timeout=240)
        assert tutor.services.jobs.get(job.id).state == "succeeded"
        results = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN)
                                             if m.get("text", "").startswith(f"Fine-tune #{job.id}: accuracy")])
        assert len(results) == 1
    finally:
        stop_process(worker, kill=True)


def test_an_outcome_announced_before_a_crash_is_not_announced_again_and_a_missing_one_is(tutor):
    """The worker posts the results, then records that it did; a kill between the two leaves the job
    `succeeded` with no record. The bot's tick looks for the post by its metadata: found, nothing is
    posted again; missing (killed before posting), the bot posts the results itself, once."""
    worker = spawn_worker(tutor)
    try:
        tutor.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=1 per_class=12")
        # `succeeded` alone is too early (killing the worker then is the crash), and so is `notified_at`:
        # the worker records the post, then uploads the plots; wait for that upload before the kill
        job = tutor.ws.wait_for(lambda: (lambda j: j if j and j.notified_at and plot_uploads(tutor) else None)(
            latest_job(tutor)), timeout=240)
    finally:
        stop_process(worker, kill=True)

    def results():
        return [m for m in dm(tutor.ws, LIN) if m.get("text", "").startswith(f"Fine-tune #{job.id}: accuracy")]

    first = results()
    assert len(first) == 1 and job.state == "succeeded"
    tutor.clock.set(datetime.now(timezone.utc) + tutor.services.finetune.requeue_grace + timedelta(seconds=5))
    tutor.services.jobs.update(job.id, notified_at=None)  # killed after posting, before recording it
    tutor.runtime.tick()
    assert len(results()) == 1 and tutor.services.jobs.get(job.id).notified_at is not None
    tutor.services.client.chat_delete(channel=first[0]["channel"], ts=first[0]["ts"])
    tutor.services.jobs.update(job.id, notified_at=None)  # killed after `succeeded`, before posting
    tutor.runtime.tick()
    again = results()
    assert len(again) == 1 and again[0]["ts"] != first[0]["ts"]
    # bot and worker share this machine's data dir, so the bot finds the plots and uploads them too
    assert "Plots (loss curves and confusion matrix) follow." in json.dumps(again[0]["blocks"])
    assert len(plot_uploads(tutor)) == 2, "the worker's plot upload and the bot's re-post each uploaded the plots once"
    tutor.runtime.tick()
    assert len(results()) == 1


def plot_uploads(tutor) -> list[dict]:
    return [f for f in tutor.ws.journal(kind="api") if f.get("method") == "files.completeUploadExternal"]
