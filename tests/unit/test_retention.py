"""`tutor gc` deletes runs, uploads and idempotency keys past TUTOR_RETENTION_DAYS, and nothing newer
or still in use (issue 13, item 8). SQLite and Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from bot.clock import MovableClock
from bot.config import load_settings
from bot.services.jobs import JobService
from bot.services.retention import collect_garbage
from bot.store import Database
from bot.store.models import ProcessedRequest
from tests.conftest import ROOT

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _job(jobs, clock, age_days: float, state: str, settings):
    clock.set(NOW - timedelta(days=age_days))
    job = jobs.create("T1", f"U{int(age_days * 10)}{state}", {})
    run = settings.runs_dir / str(job.id)
    (run / "model").mkdir(parents=True)
    (run / "model" / "weights.bin").write_bytes(b"x")
    if state != "running":
        jobs.transition(job.id, ("validating",), state, model_dir=str(run / "model"))
    else:
        jobs.transition(job.id, ("validating",), "running")
    return job


def _file(path, age_days: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("text,label\n")
    stamp = (NOW - timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))


def test_gc_deletes_what_is_past_retention_and_keeps_the_rest(database_url, tmp_path):
    settings = load_settings({"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_RETENTION_DAYS": "30"})
    db = Database(database_url)
    db.upgrade()
    clock = MovableClock(NOW)
    jobs = JobService(db, clock, settings)
    old, recent = _job(jobs, clock, 40, "succeeded", settings), _job(jobs, clock, 5, "succeeded", settings)
    long_running = _job(jobs, clock, 45, "running", settings)
    orphan = settings.runs_dir / "leftover"
    _file(orphan / "x.png", 50)
    os.utime(orphan, ((NOW - timedelta(days=50)).timestamp(),) * 2)
    _file(settings.uploads_dir / "U1" / "F1-old.csv", 31)
    _file(settings.uploads_dir / "U1" / "F2-new.csv", 1)
    _file(settings.uploads_dir / "U2" / "F3-old.csv", 60)
    with db.session() as session:
        session.add_all([ProcessedRequest(key="event:old", created_at=NOW - timedelta(days=31)),
                         ProcessedRequest(key="event:new", created_at=NOW - timedelta(hours=1))])
    clock.set(NOW)

    done = collect_garbage(settings, db, clock)

    assert (done.runs, done.uploads, done.requests) == (2, 2, 1)
    assert not (settings.runs_dir / str(old.id)).exists() and not orphan.exists()
    assert (settings.runs_dir / str(recent.id) / "model" / "weights.bin").exists()
    assert (settings.runs_dir / str(long_running.id)).exists(), "an active job's folder is never touched"
    assert jobs.get(old.id).model_dir is None and jobs.get(recent.id).model_dir
    assert [p.name for p in settings.uploads_dir.rglob("*.csv")] == ["F2-new.csv"]
    assert not (settings.uploads_dir / "U2").exists()
    with db.session() as session:
        assert [r.key for r in session.query(ProcessedRequest)] == ["event:new"]
    db.dispose()


def test_tutor_gc_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TUTOR_", "DATABASE_URL"))}
    env.update(TUTOR_DATA_DIR=str(tmp_path), TUTOR_RETENTION_DAYS="7")
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    _file(tmp_path / "uploads" / "U1" / "F1.csv", 8)
    out = subprocess.run([sys.executable, "-m", "bot", "gc"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "1 upload(s)" in out.stdout and "7 days" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "bot", "gc"], cwd=ROOT, env=dict(env, TUTOR_RETENTION_DAYS="soon"),
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "TUTOR_RETENTION_DAYS" in bad.stderr and "Traceback" not in bad.stderr


def test_the_running_bot_collects_garbage_daily(tutor):
    """`tutor run` needs no cron: the runtime schedules retention every day and runs it as `tutor gc` would."""
    from bot.runtime import BotRuntime

    runtime = BotRuntime(tutor.settings, clock=tutor.clock).start()
    try:
        job = runtime._scheduler.get_job("retention")
        assert job is not None and job.trigger.interval == timedelta(days=1)
    finally:
        runtime.stop()
    old, new = tutor.settings.uploads_dir / "U0LIN" / "old.csv", tutor.settings.uploads_dir / "U0LIN" / "new.csv"
    for path, age in ((old, tutor.settings.retention_days + 1), (new, 1)):
        _file(path, 0)
        stamp = (tutor.clock.now() - timedelta(days=age)).timestamp()  # the bot's own clock decides
        os.utime(path, (stamp, stamp))
    assert tutor.runtime.collect_garbage().uploads == 1 and not old.exists() and new.exists()
