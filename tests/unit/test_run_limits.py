"""Runs have a wall-clock limit and a rows x epochs budget (issue 13, item 4)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from bot import worker
from bot.clock import MovableClock
from bot.config import load_settings
from bot.run_limits import with_deadline
from bot.services.jobs import JobService
from bot.store import Database
from training.checks import check_budget
from training.errors import OverBudget
from tests.helpers import make_worker, sample_request


def test_the_deadline_raises_with_a_message_and_passes_cancel_through():
    now = [100.0]
    cancel = [False]
    check = with_deadline(lambda: cancel[0], 120, clock=lambda: now[0])
    assert check() is False
    cancel[0] = True
    assert check() is True
    now[0] += 120
    with pytest.raises(OverBudget) as raised:
        check()
    assert raised.value.code == "time_limit" and "2 minutes" in raised.value.message


def test_rows_times_epochs_budget():
    check_budget(1000, 3, 3000)
    check_budget(10**6, 10, None)
    with pytest.raises(OverBudget) as raised:
        check_budget(1001, 3, 3000)
    assert raised.value.code == "over_budget" and "per_class=" in raised.value.message


class _Result:
    def to_dict(self):
        return {"paths": {}}


def test_a_run_past_its_time_limit_fails_with_a_clear_message(tmp_path, monkeypatch):
    settings = load_settings({"TUTOR_DATA_DIR": str(tmp_path)}).with_overrides(max_run_minutes=0.001,
                                                                                 max_example_epochs=5000)
    db = Database(settings.db_url)
    db.upgrade()
    jobs = JobService(db, MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)), settings)
    seen = {}

    def slow_train(config, on_progress=None, should_stop=None):
        seen["budget"] = config.max_example_epochs
        give_up = time.monotonic() + 5  # without a limit, the run "finishes" after 5 s
        while time.monotonic() < give_up:
            should_stop()
            time.sleep(0.01)
        return _Result()

    import training.trainer

    monkeypatch.setattr(training.trainer, "train", slow_train)
    job = jobs.create("T1", "U1", sample_request())
    jobs.transition(job.id, ("validating",), "queued")
    make_worker(settings, jobs).run_finetune(job.id)
    job = jobs.get(job.id)
    assert (job.state, job.error_code) == ("failed", "time_limit")
    assert "time limit" in job.error_message and seen["budget"] == 5000
    db.dispose()
