"""Fine-tune jobs: the state machine, fair-use limits, cancellation and the heartbeat reaper.

Every transition is one conditional UPDATE (`WHERE state IN (...)`), so two processes can never both
move a job, and a job never leaves a final state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.store import Database
from bot.store.backends import backend_of
from bot.store.models import ACTIVE_JOB_STATES, FINAL_JOB_STATES, FinetuneJob

log = logging.getLogger(__name__)

MAX_RUNNING_PER_LEARNER = 1
MAX_QUEUED_PER_LEARNER = 2
MAX_ACTIVE_GLOBAL = 50
HEARTBEAT_TIMEOUT = timedelta(seconds=90)
VALIDATING_TIMEOUT = timedelta(minutes=10)  # the bot stopped between creating and queueing a job
QUEUED_TIMEOUT = timedelta(hours=6)  # far past any real wait under the caps: its queue entry was lost


ADMISSION_LOCK = 0x7475746F72  # "tutor": the Postgres advisory lock key that serialises job admission


def lock_admission(session) -> None:
    """Serialise job admission until `session` commits: every cap (learner, workspace, global) is a count
    followed by an insert, and two admissions must not both pass the same count. Admissions are rare
    (people typing commands), so one lock for all of them costs nothing. Postgres: a transaction-scoped
    advisory lock; SQLite: BEGIN IMMEDIATE takes the database's write lock before the counts."""
    backend_of(session).serialise(session, ADMISSION_LOCK)


class JobRefused(Exception):
    """A request the limits refuse; the message says why and what to do."""


@dataclass
class CancelOutcome:
    ok: bool
    message: str
    job: FinetuneJob | None = None


class JobService:
    def __init__(self, db: Database, clock: Clock, settings: Settings):
        self.db, self.clock, self.settings = db, clock, settings
        self.max_active_global = MAX_ACTIVE_GLOBAL
        self.max_active_per_workspace = settings.max_jobs_per_workspace
        self.heartbeat_timeout = HEARTBEAT_TIMEOUT

    def get(self, job_id: int) -> FinetuneJob | None:
        with self.db.session() as session:
            return session.get(FinetuneJob, job_id)

    def by_message(self, team_id: str, user_id: str, channel: str, message_ts: str) -> int | None:
        """The id of this learner's job whose (progress) message is `message_ts` in `channel`."""
        with self.db.session() as session:
            return session.scalars(select(FinetuneJob.id).where(
                FinetuneJob.team_id == team_id, FinetuneJob.user_id == user_id,
                FinetuneJob.channel == channel, FinetuneJob.message_ts == message_ts)).first()

    def for_user(self, team_id: str, user_id: str, limit: int = 10, offset: int = 0,
                 states: tuple[str, ...] | None = None) -> list[FinetuneJob]:
        """The learner's jobs, newest first (`offset` skips that many, for paging)."""
        query = select(FinetuneJob).where(FinetuneJob.team_id == team_id, FinetuneJob.user_id == user_id)
        if states:
            query = query.where(FinetuneJob.state.in_(states))
        with self.db.session() as session:
            return list(session.scalars(query.order_by(FinetuneJob.id.desc()).offset(offset).limit(limit)))

    def owned(self, team_id: str, user_id: str, job_ids: list[int]) -> dict[int, FinetuneJob]:
        """Those of `job_ids` that are this learner's, by id: anybody else's are simply not there."""
        with self.db.session() as session:
            return {job.id: job for job in session.scalars(select(FinetuneJob).where(
                FinetuneJob.id.in_(job_ids), FinetuneJob.team_id == team_id, FinetuneJob.user_id == user_id))}

    def create(self, team_id: str, user_id: str, request: dict, channel: str | None = None) -> FinetuneJob:
        """A new job in `validating`, or JobRefused when a limit says no. Counting and inserting happen
        under one admission lock, so concurrent requests cannot all pass the same count."""
        with self.db.session() as session:
            lock_admission(session)
            mine = dict(session.execute(select(FinetuneJob.state, func.count()).where(
                FinetuneJob.team_id == team_id, FinetuneJob.user_id == user_id,
                FinetuneJob.state.in_(ACTIVE_JOB_STATES)).group_by(FinetuneJob.state)).all())
            waiting = mine.get("queued", 0) + mine.get("validating", 0)
            if mine.get("running", 0) >= MAX_RUNNING_PER_LEARNER and waiting >= MAX_QUEUED_PER_LEARNER:
                raise JobRefused(
                    f"You have a run in progress and {waiting} waiting, the most one learner may have. "
                    "Wait for one to finish, or cancel one with `/finetune cancel <id>` (see `/finetune status`).")
            if waiting >= MAX_QUEUED_PER_LEARNER:
                raise JobRefused(
                    f"You already have {waiting} runs waiting in the queue. Wait for one to start, or cancel "
                    "one with `/finetune cancel <id>`.")
            in_team = session.scalar(select(func.count()).select_from(FinetuneJob).where(
                FinetuneJob.team_id == team_id, FinetuneJob.state.in_(ACTIVE_JOB_STATES))) or 0
            if in_team >= self.max_active_per_workspace:
                raise JobRefused(
                    f"Your workspace already has {in_team} runs waiting or running, its share of the trainer. "
                    "Please try again when one has finished.")
            active = session.scalar(select(func.count()).select_from(FinetuneJob).where(
                FinetuneJob.state.in_(ACTIVE_JOB_STATES))) or 0
            if active >= self.max_active_global:
                raise JobRefused(
                    f"The trainer is full right now ({active} runs waiting or running in all workspaces). "
                    "Please try again in a few minutes.")
            job = FinetuneJob(team_id=team_id, user_id=user_id, state="validating", request=request,
                              channel=channel, created_at=self.clock.now(), progress=0.0, progress_detail={})
            session.add(job)
            session.flush()
            session.expunge(job)
            return job

    def transition(self, job_id: int, from_states: tuple[str, ...], to_state: str, **fields) -> bool:
        values = dict(fields, state=to_state)
        now = self.clock.now()
        if to_state == "running":
            values.setdefault("started_at", now)
            values.setdefault("heartbeat_at", now)
        if to_state in FINAL_JOB_STATES:
            values.setdefault("finished_at", now)
        with self.db.session() as session:
            result = session.execute(update(FinetuneJob).where(
                FinetuneJob.id == job_id, FinetuneJob.state.in_(from_states)).values(**values))
            return result.rowcount == 1

    def update(self, job_id: int, **fields) -> None:
        with self.db.session() as session:
            session.execute(update(FinetuneJob).where(FinetuneJob.id == job_id).values(**fields))

    def heartbeat(self, job_id: int, progress: float | None = None, detail: dict | None = None) -> None:
        values = {"heartbeat_at": self.clock.now()}
        if progress is not None:
            values["progress"] = progress
        if detail is not None:
            values["progress_detail"] = detail
        with self.db.session() as session:
            session.execute(update(FinetuneJob).where(FinetuneJob.id == job_id,
                                                      FinetuneJob.state == "running").values(**values))

    def cancel_requested(self, job_id: int) -> bool:
        with self.db.session() as session:
            return bool(session.scalar(select(FinetuneJob.cancel_requested).where(FinetuneJob.id == job_id)))

    # --- for a running worker: a database blip must not fail a run that is going well ------------
    def heartbeat_quietly(self, job_id: int, progress: float | None = None, detail: dict | None = None) -> bool:
        """`heartbeat`, but a database error is logged and skipped: the next beat (seconds later) makes
        up for it, while the reaper waits HEARTBEAT_TIMEOUT (many beats) before calling a worker lost."""
        try:
            self.heartbeat(job_id, progress, detail)
            return True
        except SQLAlchemyError as error:
            log.warning("heartbeat of job %s skipped: %s", job_id, type(error).__name__)
            return False

    def cancel_requested_or(self, job_id: int, last_known: bool) -> bool:
        """`cancel_requested`, or `last_known` while the database cannot be read."""
        try:
            return self.cancel_requested(job_id)
        except SQLAlchemyError as error:
            log.warning("cancel check of job %s skipped: %s", job_id, type(error).__name__)
            return last_known

    def request_cancel(self, job_id: int, team_id: str, user_id: str) -> CancelOutcome:
        """Only the owner may cancel. A waiting job stops at once; a running one at its next step."""
        job = self.get(job_id)
        if job is None or job.team_id != team_id or job.user_id != user_id:
            return CancelOutcome(False, f"There is no run #{job_id} of yours. `/finetune status` lists your runs.")
        if job.state in FINAL_JOB_STATES:
            return CancelOutcome(False, f"Run #{job_id} has already {job.state}.", job)
        if self.transition(job_id, ("validating", "queued"), "cancelled", cancel_requested=True,
                           error_code="cancelled", error_message="Cancelled before it started."):
            return CancelOutcome(True, f"Run #{job_id} is cancelled; it had not started.", self.get(job_id))
        self.update(job_id, cancel_requested=True)
        return CancelOutcome(True, f"Stopping run #{job_id} at its next step…", self.get(job_id))

    def queue_position(self, job_id: int) -> int:
        """1 = next to run."""
        with self.db.session() as session:
            return (session.scalar(select(func.count()).select_from(FinetuneJob).where(
                FinetuneJob.state == "queued", FinetuneJob.id < job_id)) or 0) + 1

    def queued_since_before(self, moment) -> list[int]:
        """Ids of jobs still `queued` that were created before `moment`."""
        with self.db.session() as session:
            return [job.id for job in session.scalars(select(FinetuneJob).where(FinetuneJob.state == "queued"))
                    if as_utc(job.created_at) < moment]

    def unannounced(self, ended_before) -> list[FinetuneJob]:
        """Jobs that ended with news for their owner (results, or a lost worker) and whose owner has not
        been told yet, though they ended before `ended_before`."""
        with self.db.session() as session:
            ended = session.scalars(select(FinetuneJob).where(
                FinetuneJob.notified_at.is_(None),
                (FinetuneJob.state == "succeeded") |
                ((FinetuneJob.state == "failed") & (FinetuneJob.error_code == "worker_lost"))))
            return [job for job in ended if job.finished_at is not None and as_utc(job.finished_at) < ended_before]

    def mark_notified(self, job_id: int) -> None:
        with self.db.session() as session:
            session.execute(update(FinetuneJob).where(FinetuneJob.id == job_id, FinetuneJob.notified_at.is_(None))
                            .values(notified_at=self.clock.now()))

    def reap_stale(self) -> list[FinetuneJob]:
        """Running jobs whose worker stopped beating: mark them failed so their owners can be told."""
        now = self.clock.now()
        cutoff = now - self.heartbeat_timeout
        with self.db.session() as session:
            stale = [job for job in session.scalars(select(FinetuneJob).where(FinetuneJob.state == "running"))
                     if job.heartbeat_at is None or as_utc(job.heartbeat_at) < cutoff]
            stuck = [job for job in session.scalars(select(FinetuneJob).where(FinetuneJob.state == "validating"))
                     if as_utc(job.created_at) < now - VALIDATING_TIMEOUT]
            lost = [job for job in session.scalars(select(FinetuneJob).where(FinetuneJob.state == "queued"))
                    if as_utc(job.created_at) < now - QUEUED_TIMEOUT]
        reaped = []
        for job in stuck:
            if self.transition(job.id, ("validating",), "failed", error_code="validation_interrupted",
                               error_message="The bot restarted while checking your data."):
                reaped.append(self.get(job.id))
        for job in lost:
            if self.transition(job.id, ("queued",), "failed", error_code="queue_lost",
                               error_message="This run waited far too long in the queue and was dropped."):
                reaped.append(self.get(job.id))
        for job in stale:
            if self.transition(job.id, ("running",), "failed", error_code="worker_lost",
                               error_message="The worker running this job stopped responding (it may have "
                                             "been restarted or run out of memory)."):
                reaped.append(self.get(job.id))
        return reaped
