"""Starting fine-tunes from Slack: resolve the data, check it, create the job, queue it; cancel; and
the tick's recovery of jobs that a crash left behind.

The data check runs here, before anything is queued, so a learner learns about a missing label
column in seconds rather than after waiting in line. It is plain Python (no torch).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient

from bot import finetune_views
from bot.clock import Clock
from bot.files import UploadError
from bot.finetune_request import FinetuneRequest, RequestError, RequestParser
from bot.services.finetune_data import DataResolver
from bot.services.job_messages import JobMessages
from bot.services.jobs import JobRefused, JobService
from bot.services.ratelimit import RateLimiter, too_often
from bot.slack import escape
from bot.slack_errors import is_permanent

log = logging.getLogger(__name__)

REQUEUE_GRACE = timedelta(minutes=2)  # far longer than a worker's step from taking a job to starting it


@dataclass
class StartOutcome:
    ok: bool
    reply: str | None = None  # an ephemeral line for the learner, when there is one
    job_id: int | None = None


class FinetuneService:
    def __init__(self, *, jobs: JobService, queues, parser: RequestParser, resolver: DataResolver,
                 messages: JobMessages, dm, clock: Clock, check_limit: RateLimiter, predict_limit: RateLimiter):
        """`dm(client, team_id, user_id)` gives the learner's DM channel (see `LessonSender.dm`); the limits
        are per learner, for work a click starts for free (a data check, a "Try it" sentence)."""
        self.jobs, self.queues, self.parser, self.resolver = jobs, queues, parser, resolver
        self.messages, self.dm, self.clock = messages, dm, clock
        self.check_limit, self.predict_limit = check_limit, predict_limit
        self.requeue_grace = REQUEUE_GRACE

    def start_text(self, client: WebClient, team_id: str, user_id: str, text: str) -> StartOutcome:
        """A request typed in Slack (or carried by a button): parsed here, then started."""
        try:
            request = self.parser.parse(text)
        except RequestError as error:
            return StartOutcome(False, f"⚠️ {error.message}\n`/finetune help` lists the options.")
        return self.start(client, team_id, user_id, request)

    def start(self, client: WebClient, team_id: str, user_id: str, request: FinetuneRequest) -> StartOutcome:
        if request.check_only and not self.check_limit.allow((team_id, user_id)):
            return StartOutcome(False, f"⏸ {too_often('data checks', self.check_limit.per_minute)}")
        try:
            request = self.resolver.resolve(client, request, user_id)
        except UploadError as error:
            return StartOutcome(False, f"⚠️ {error.message}")
        channel = self.dm(client, team_id, user_id)
        if request.check_only:
            msg = finetune_views.report_message(self.check(request), f"Data report for {request.describe()}")
            client.chat_postMessage(channel=channel, **msg)
            return StartOutcome(True, "🔎 The data report is in your DM with me.")
        try:
            job = self.jobs.create(team_id, user_id, request.to_dict(), channel)
        except JobRefused as error:
            return StartOutcome(False, f"⏸ {error}")
        posted = client.chat_postMessage(channel=channel, **finetune_views.job_message(job))
        self.jobs.update(job.id, message_ts=posted["ts"])
        report = self.check(request)
        if not report.get("ok"):
            self.jobs.transition(job.id, ("validating",), "failed", error_code="data_check_failed",
                                 error_message="The data check found problems; see the report below.")
            self.messages.refresh(job.id)
            client.chat_postMessage(channel=channel, **finetune_views.report_message(report, "Data report"))
            return StartOutcome(False, None, job.id)
        if not self.jobs.transition(job.id, ("validating",), "queued"):
            return StartOutcome(False, None, job.id)  # cancelled while we checked
        try:
            self.queues.run_finetune(job.id)
        except Exception:  # the queue (Redis, or the SQLite file) is unavailable: say so, leave nothing waiting
            log.exception("could not enqueue job %s", job.id)
            self.jobs.transition(job.id, ("queued",), "failed", error_code="queue_unavailable",
                                 error_message="The job queue is unavailable right now. Please try again shortly.")
            self.messages.refresh(job.id)
            return StartOutcome(False, "⚠️ The job queue is unavailable right now. Please try again shortly.", job.id)
        self.messages.refresh(job.id)
        return StartOutcome(True, f"🏁 Fine-tune #{job.id} is queued; follow it in your DM with me.", job.id)

    def check(self, request: FinetuneRequest) -> dict:
        """The data report of a resolved request, as a dict (never raises for bad data), made in a child
        process with memory and CPU limits: a hostile file costs that child, never this bot."""
        if request.local_path is None:
            return {"ok": True, "rows": 0, "classes": {}, "problems": [
                {"level": "info", "code": "hub", "message": f"{escape(request.data)} is checked when the worker loads it.",
                 "fix": "Nothing to do."}]}
        from training.isolated import check_file_isolated

        report = check_file_isolated(request.local_path, request.text_column, request.label_column, task=request.task)
        return {**report, "task": request.task}

    def cancel(self, client: WebClient, team_id: str, user_id: str, job_id: int) -> str:
        outcome = self.jobs.request_cancel(job_id, team_id, user_id)
        if outcome.ok and outcome.job is not None and outcome.job.state == "cancelled":
            self.messages.refresh(job_id)
        return outcome.message

    def requeue_lost(self) -> list[int]:
        """Put back in the queue each `queued` job whose queue entry is gone: a worker killed after taking
        it and before starting it. Running it twice is impossible: the worker's queued → running step is
        one conditional UPDATE, so a second copy of the task finds the job taken and returns."""
        waiting = self.jobs.queued_since_before(self.clock.now() - self.requeue_grace)
        if not waiting:
            return []
        in_queue = {task.args[0] for task in self.queues.train.pending() if task.args}
        lost = [job_id for job_id in waiting if job_id not in in_queue]
        for job_id in lost:
            log.warning("job %s was queued but not in the queue (its worker died taking it): queued again", job_id)
            self.queues.run_finetune(job_id)
        return lost

    def notify_reaped(self) -> int:
        """Re-queue jobs lost between queue and worker; tell the owners of jobs whose worker died. Called from
        the bot's periodic tick."""
        try:
            self.requeue_lost()
        except Exception:  # the queue is down: the jobs wait in `queued`, and the next tick tries again
            log.exception("could not look for lost queue entries")
        reaped = self.jobs.reap_stale()
        for job in reaped:
            self._announce(job.id, look_since=None)  # just reaped by this tick: nobody can have told them yet
        self.announce_missing()
        return len(reaped)

    def announce_missing(self) -> list[int]:
        """Jobs that ended without their owner being told (a process killed between the two, or Slack
        down): look for the announcement in the DM by its metadata, and post it only if it is not there."""
        return [job.id for job in self.jobs.unannounced(self.clock.now() - self.requeue_grace)
                if self._announce(job.id, look_since=job.created_at)]

    def _announce(self, job_id: int, look_since) -> bool:
        try:
            return self.messages.announce(job_id, look_since)
        except Exception as error:
            if is_permanent(error):  # the DM or the installation is gone: retrying every tick cannot help
                log.error("giving up telling the owner of job %s how it ended: %s", job_id, error.response["error"])
                self.jobs.mark_notified(job_id)
                return False
            log.exception("could not tell the owner of job %s how it ended", job_id)
            return False
