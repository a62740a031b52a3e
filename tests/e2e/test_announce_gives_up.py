"""Announcing a job's outcome stops at a permanent Slack error instead of retrying it on every tick
forever, and a deleted progress message does not keep the outcome from being posted (issue 13, item 8)."""

from __future__ import annotations

from datetime import timedelta

LIN = "U0LIN"


def _ended_job(tutor, channel: str, message_ts: str | None = None):
    jobs = tutor.services.jobs
    job = jobs.create("T0SANDBOX", LIN, {"data": "support_tickets"}, channel)
    jobs.update(job.id, message_ts=message_ts)
    jobs.transition(job.id, ("validating",), "succeeded", result={"metrics": {"accuracy": 0.9}})
    tutor.clock.advance(tutor.services.finetune.requeue_grace + timedelta(seconds=5))
    return job


def test_a_permanent_slack_error_is_not_retried_every_tick(tutor):
    job = _ended_job(tutor, "C0GONE")  # a channel that no longer exists
    tutor.runtime.tick()
    calls = len(tutor.ws.journal(kind="api"))
    assert tutor.services.jobs.get(job.id).notified_at is not None, "recorded as done (given up)"
    tutor.runtime.tick()
    tick_calls = [e for e in tutor.ws.journal(kind="api")[calls:] if "C0GONE" in str(e.get("args"))]
    assert tick_calls == []


def test_a_deleted_progress_message_does_not_block_the_outcome(tutor):
    channel = tutor.ws.dm_channel(LIN)
    job = _ended_job(tutor, channel, message_ts="1.000001")  # that message is gone
    tutor.runtime.tick()
    posted = [m for m in tutor.ws.messages(channel) if m.get("text", "").startswith(f"Fine-tune #{job.id}")]
    assert posted and tutor.services.jobs.get(job.id).notified_at is not None
