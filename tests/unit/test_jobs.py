"""The job state machine and its limits, on SQLite and Postgres."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.clock import MovableClock
from bot.config import load_settings
from bot.services.jobs import JobRefused, JobService
from bot.store import Database


@pytest.fixture
def jobs(database_url, tmp_path):
    db = Database(database_url)
    db.upgrade()
    clock = MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    service = JobService(db, clock, load_settings({"TUTOR_DATA_DIR": str(tmp_path)}))
    yield service
    db.dispose()


def test_transitions_are_one_way_and_exclusive(jobs):
    job = jobs.create("T1", "U1", {"data": "x"})
    assert jobs.transition(job.id, ("validating",), "queued")
    assert not jobs.transition(job.id, ("validating",), "queued"), "a second mover loses"
    assert jobs.transition(job.id, ("queued",), "running")
    assert jobs.transition(job.id, ("running",), "succeeded")
    assert not jobs.transition(job.id, ("running", "queued", "validating"), "failed"), "final states are final"
    assert jobs.get(job.id).finished_at is not None


def test_per_learner_limits_explain_themselves(jobs):
    first = jobs.create("T1", "U1", {})
    jobs.transition(first.id, ("validating",), "queued")
    jobs.transition(first.id, ("queued",), "running")
    for _ in range(2):
        jobs.transition(jobs.create("T1", "U1", {}).id, ("validating",), "queued")
    with pytest.raises(JobRefused, match="cancel"):
        jobs.create("T1", "U1", {})
    jobs.create("T1", "U2", {})  # another learner is not affected


def test_global_cap(jobs):
    jobs.max_active_global = 2
    jobs.create("T1", "U1", {})
    jobs.create("T1", "U2", {})
    with pytest.raises(JobRefused, match="full"):
        jobs.create("T1", "U3", {})


def test_only_the_owner_cancels(jobs):
    job = jobs.create("T1", "U1", {})
    jobs.transition(job.id, ("validating",), "queued")
    assert not jobs.request_cancel(job.id, "T1", "U2").ok
    assert not jobs.request_cancel(job.id, "T2", "U1").ok
    outcome = jobs.request_cancel(job.id, "T1", "U1")
    assert outcome.ok and jobs.get(job.id).state == "cancelled"


def test_running_job_cancel_is_a_request(jobs):
    job = jobs.create("T1", "U1", {})
    jobs.transition(job.id, ("validating",), "queued")
    jobs.transition(job.id, ("queued",), "running")
    assert jobs.request_cancel(job.id, "T1", "U1").ok
    assert jobs.get(job.id).state == "running" and jobs.cancel_requested(job.id)


def test_reaper_fails_silent_workers_and_stuck_validations(jobs):
    running = jobs.create("T1", "U1", {})
    jobs.transition(running.id, ("validating",), "queued")
    jobs.transition(running.id, ("queued",), "running")
    stuck = jobs.create("T1", "U2", {})
    assert jobs.reap_stale() == []
    jobs.clock.advance(timedelta(minutes=11))
    reaped = {job.id: job for job in jobs.reap_stale()}
    assert reaped[running.id].error_code == "worker_lost"
    assert reaped[stuck.id].error_code == "validation_interrupted"
    assert jobs.reap_stale() == []
    waiting = jobs.create("T1", "U3", {})
    jobs.transition(waiting.id, ("validating",), "queued")
    jobs.clock.advance(timedelta(hours=5))
    assert jobs.reap_stale() == [], "a long wait is not a lost job"
    jobs.clock.advance(timedelta(hours=2))
    assert [job.error_code for job in jobs.reap_stale()] == ["queue_lost"]


def test_queue_position(jobs):
    ids = []
    for user in ("U1", "U2", "U3"):
        job = jobs.create("T1", user, {})
        jobs.transition(job.id, ("validating",), "queued")
        ids.append(job.id)
    assert [jobs.queue_position(i) for i in ids] == [1, 2, 3]


def _create_at_once(jobs, callers: list[tuple[str, str]]) -> list:
    """Every caller calls `create` at the same moment, each in its own thread; the accepted jobs."""
    import threading

    barrier = threading.Barrier(len(callers))
    accepted, errors = [], []

    def call(team_id: str, user_id: str) -> None:
        barrier.wait()
        try:
            accepted.append(jobs.create(team_id, user_id, {}))
        except JobRefused:
            pass
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=call, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return accepted


def test_concurrent_creates_respect_the_learner_cap(jobs):
    """Issue 13, item 4: 16 simultaneous requests against a limit of 2 waiting accepted 10, 8 and 13."""
    for _ in range(3):
        accepted = _create_at_once(jobs, [("T1", "U1")] * 16)
        assert len(accepted) == 2
        for job in accepted:
            jobs.transition(job.id, ("validating",), "cancelled")


def test_concurrent_creates_respect_the_workspace_cap(jobs):
    jobs.max_active_per_workspace = 3
    accepted = _create_at_once(jobs, [("T1", f"U{i}") for i in range(12)])
    assert len(accepted) == 3
    jobs.create("T2", "U1", {})  # another workspace has its own share
    with pytest.raises(JobRefused, match="workspace"):
        jobs.create("T1", "U99", {})
