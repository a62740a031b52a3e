"""Retention: what `tutor gc` deletes once it is older than TUTOR_RETENTION_DAYS.

- `runs/<job id>/` of jobs that ended before the cutoff (models, plots, downloaded data); the job row
  stays, with `model_dir` cleared so "Try it" says the model is no longer available;
- `runs/` folders of no known job, and files under `uploads/`, last modified before the cutoff;
- `processed_requests` keys created before the cutoff (Slack retries come within minutes; a click on a
  month-old button may then act again, which is what a fresh click would do).
Active jobs are never touched.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select, update

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.store import Database
from bot.store.models import FINAL_JOB_STATES, FinetuneJob, ProcessedRequest


@dataclass
class Collected:
    runs: int = 0
    uploads: int = 0
    requests: int = 0


def collect_garbage(settings: Settings, db: Database, clock: Clock, days: float | None = None) -> Collected:
    cutoff = clock.now() - timedelta(days=settings.retention_days if days is None else days)
    done = Collected()
    with db.session() as session:
        jobs = {job.id: job for job in session.scalars(select(FinetuneJob))}
    expired = [job.id for job in jobs.values() if job.state in FINAL_JOB_STATES
               and job.finished_at is not None and as_utc(job.finished_at) < cutoff]
    if settings.runs_dir.is_dir():
        for folder in settings.runs_dir.iterdir():
            job_id = int(folder.name) if folder.name.isdigit() else None
            if job_id in jobs:
                remove = job_id in expired
            else:
                remove = folder.stat().st_mtime < cutoff.timestamp()
            if remove and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                done.runs += 1
    if expired:
        with db.session() as session:
            session.execute(update(FinetuneJob).where(FinetuneJob.id.in_(expired)).values(model_dir=None))
    done.uploads = _old_files(settings.uploads_dir, cutoff.timestamp())
    with db.session() as session:
        done.requests = session.execute(delete(ProcessedRequest).where(ProcessedRequest.created_at < cutoff)).rowcount
    return done


def _old_files(root: Path, before: float) -> int:
    """Delete files under `root` last modified before `before`, then the folders left empty."""
    if not root.is_dir():
        return 0
    removed = 0
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folders
        if path.is_file() and path.stat().st_mtime < before:
            path.unlink(missing_ok=True)
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed
