"""A worker killed after taking a job from the queue and before starting it: the bot's tick puts the job
back in the queue, once, and a new worker runs it, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.test_finetune_e2e import LIN, dm, latest_job, start_worker, stop_worker

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
    worker = start_worker(tutor)
    try:
        tutor.ws.wait_for(lambda: tutor.services.jobs.get(job.id).state in ("succeeded", "failed"), timeout=240)
        assert tutor.services.jobs.get(job.id).state == "succeeded"
        results = tutor.ws.wait_for(lambda: [m for m in dm(tutor)
                                             if m.get("text", "").startswith(f"Fine-tune #{job.id}: accuracy")])
        assert len(results) == 1
    finally:
        stop_worker(worker)
