"""A database blip during a run is skipped by the heartbeats and the cancel check, never a failed
job (issue 13, item 8)."""

from __future__ import annotations

import pytest

import threading
import time
from datetime import datetime, timezone

from sqlalchemy.exc import OperationalError

from bot import worker
from bot.clock import MovableClock
from bot.config import load_settings
from bot.services.jobs import JobService
from bot.store import Database
from training.progress import Progress
from tests.helpers import make_worker, sample_request


class _Result:
    def to_dict(self):
        return {"paths": {}}


class _FlakyJobs(JobService):
    """While `down` is set, the calls a running worker makes fail like a restarting database."""

    def __init__(self, *args):
        super().__init__(*args)
        self.down = threading.Event()
        self.beats_after_blip = 0
        self.blip_seen = threading.Event()

    def _blip(self):
        if self.down.is_set():
            self.blip_seen.set()
            raise OperationalError("UPDATE finetune_jobs", {}, Exception("server closed the connection"))

    def heartbeat(self, job_id, progress=None, detail=None):
        self._blip()
        super().heartbeat(job_id, progress, detail)
        if self.blip_seen.is_set():
            self.beats_after_blip += 1

    def cancel_requested(self, job_id):
        self._blip()
        return super().cancel_requested(job_id)


@pytest.mark.slow
def test_a_database_blip_mid_run_does_not_fail_the_job(tmp_path, monkeypatch):
    settings = load_settings({"TUTOR_DATA_DIR": str(tmp_path)})
    db = Database(settings.db_url)
    db.upgrade()
    jobs = _FlakyJobs(db, MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)), settings)
    monkeypatch.setattr(worker, "HEARTBEAT_SECONDS", 0.01)

    def train_through_a_blip(config, on_progress=None, should_stop=None):
        jobs.down.set()
        deadline = time.monotonic() + 10
        while not jobs.blip_seen.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)  # the heartbeat thread meets the blip
        for step in range(1, 4):  # and so do the per-step heartbeat and the cancel check
            on_progress(Progress("training", step=step, total_steps=3))
            time.sleep(1.0 if step == 1 else 0)  # the cancel check reads at most once a second
            assert should_stop() is False
        jobs.down.clear()
        while jobs.beats_after_blip < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the heartbeat thread is still alive after the blip
        return _Result()

    import training.trainer

    monkeypatch.setattr(training.trainer, "train", train_through_a_blip)
    job = jobs.create("T1", "U1", sample_request())
    jobs.transition(job.id, ("validating",), "queued")
    make_worker(settings, jobs).run_finetune(job.id)
    assert jobs.get(job.id).state == "succeeded", jobs.get(job.id).error_message
    assert jobs.beats_after_blip >= 2, "the heartbeat thread survived the blip"
    db.dispose()
