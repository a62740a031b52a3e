"""Starting fine-tunes from Slack: parse the request, check the data, create the job, queue it.

The data check runs here, before anything is queued, so a learner learns about a missing label
column in seconds rather than after waiting in line. It is plain Python (no torch).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient

from bot import finetune_views
from bot.clock import as_utc
from bot.files import UploadError, download
from bot.services.jobs import JobRefused
from bot.services.ratelimit import RateLimiter, too_often
from bot.slack import escape, find_posted
from bot.slack_errors import is_permanent

log = logging.getLogger(__name__)

REQUEUE_GRACE = timedelta(minutes=2)  # far longer than a worker's step from taking a job to starting it


@dataclass
class StartOutcome:
    ok: bool
    reply: str | None = None  # an ephemeral line for the learner, when there is one
    job_id: int | None = None


class FinetuneService:
    def __init__(self, services, queues):
        self.services, self.queues = services, queues
        self.requeue_grace = REQUEUE_GRACE
        self.check_limit = RateLimiter(services.settings.checks_per_minute)
        self.predict_limit = RateLimiter(services.settings.predictions_per_minute)

    def parse(self, text: str):
        from training.request import parse_request

        return parse_request(text)

    def start(self, client: WebClient, team_id: str, user_id: str, args: str) -> StartOutcome:
        from training.errors import RequestError

        try:
            request = self.parse(args)
        except RequestError as error:
            return StartOutcome(False, f"⚠️ {error.message}\n`/finetune help` lists the options.")
        if request.data_kind == "upload":
            try:
                from bot.files import file_info

                file_info(client, request.data, user_id)
            except UploadError as error:
                return StartOutcome(False, f"⚠️ {error.message}")
        if request.check_only and not self.check_limit.allow((team_id, user_id)):
            return StartOutcome(False, f"⏸ {too_often('data checks', self.check_limit.per_minute)}")
        channel = self.services.lessons.dm(client, team_id, user_id)
        if request.check_only:
            report = self.check(client, user_id, request)
            msg = finetune_views.report_message(report, f"Data report for {request.describe()}")
            client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])
            return StartOutcome(True, "🔎 The data report is in your DM with me.")
        try:
            job = self.services.jobs.create(team_id, user_id, request.to_dict(), channel)
        except JobRefused as error:
            return StartOutcome(False, f"⏸ {error}")
        msg = finetune_views.job_message(job)
        posted = client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])
        self.services.jobs.update(job.id, message_ts=posted["ts"])
        report = self.check(client, user_id, request)
        if not report.get("ok"):
            self.services.jobs.transition(job.id, ("validating",), "failed", error_code="data_check_failed",
                                          error_message="The data check found problems; see the report below.")
            self._refresh(client, job.id)
            msg = finetune_views.report_message(report, "Data report")
            client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])
            return StartOutcome(False, None, job.id)
        if not self.services.jobs.transition(job.id, ("validating",), "queued"):
            return StartOutcome(False, None, job.id)  # cancelled while we checked
        try:
            self.queues.run_finetune(job.id)
        except Exception:  # the queue (Redis, or the SQLite file) is unavailable: say so, leave nothing waiting
            log.exception("could not enqueue job %s", job.id)
            self.services.jobs.transition(job.id, ("queued",), "failed", error_code="queue_unavailable",
                                          error_message="The job queue is unavailable right now. Please try again shortly.")
            self._refresh(client, job.id)
            return StartOutcome(False, "⚠️ The job queue is unavailable right now. Please try again shortly.", job.id)
        self._refresh(client, job.id)
        return StartOutcome(True, f"🏁 Fine-tune #{job.id} is queued; follow it in your DM with me.", job.id)

    def check(self, client: WebClient, user_id: str, request) -> dict:
        """The data report as a dict (never raises for bad data), made in a child process with memory
        and CPU limits: a hostile file costs that child, never this bot."""
        from training.isolated import check_file_isolated

        if request.data_kind == "sample":
            path = request.sample_path()
        elif request.data_kind == "upload":
            try:
                path = download(client, request.data, user_id, self.services.settings.uploads_dir / user_id)
            except UploadError as error:
                return {"ok": False, "rows": 0, "classes": {},
                        "problems": [{"level": "error", "code": error.code, "message": error.message,
                                      "fix": "Upload the file again in our DM."}]}
        else:
            return {"ok": True, "rows": 0, "classes": {}, "problems": [
                {"level": "info", "code": "hub", "message": f"{escape(request.data)} is checked when the worker loads it.",
                 "fix": "Nothing to do."}]}
        return check_file_isolated(path, request.text_column, request.label_column)

    def _refresh(self, client: WebClient, job_id: int) -> None:
        job = self.services.jobs.get(job_id)
        position = self.services.jobs.queue_position(job_id) if job.state == "queued" else None
        msg = finetune_views.job_message(job, position)
        client.chat_update(channel=job.channel, ts=job.message_ts, text=msg["text"], blocks=msg["blocks"])

    def cancel(self, client: WebClient, team_id: str, user_id: str, job_id: int) -> str:
        outcome = self.services.jobs.request_cancel(job_id, team_id, user_id)
        if outcome.ok and outcome.job is not None and outcome.job.state == "cancelled":
            self._refresh(client, job_id)
        return outcome.message

    def requeue_lost(self) -> list[int]:
        """Put back in the queue each `queued` job whose queue entry is gone: a worker killed after taking
        it and before starting it. Running it twice is impossible: the worker's queued → running step is
        one conditional UPDATE, so a second copy of the task finds the job taken and returns."""
        waiting = self.services.jobs.queued_since_before(self.services.clock.now() - self.requeue_grace)
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
        reaped = self.services.jobs.reap_stale()
        for job in reaped:
            self._announce(job, look_first=False)  # just reaped by this tick: nobody can have told them yet
        self.announce_missing()
        return len(reaped)

    def announce_missing(self) -> list[int]:
        """Jobs that ended without their owner being told (a process killed between the two, or Slack
        down): look for the announcement in the DM by its metadata, and post it only if it is not there."""
        return [job.id for job in self.services.jobs.unannounced(self.services.clock.now() - self.requeue_grace)
                if self._announce(job, look_first=True)]

    def _announce(self, job, look_first: bool) -> bool:
        """Tell the owner how the job ended (once: the post carries the job id as metadata and is recorded);
        True when this call posted. A Slack failure is logged and left for the next tick."""
        try:
            client = self.services.clients.for_team(job.team_id)
            if look_first and find_posted(client, job.channel, finetune_views.OUTCOME_EVENT, "job_id", job.id,
                                          as_utc(job.created_at)) is not None:
                self.services.jobs.mark_notified(job.id)
                return False
            if job.state == "succeeded":
                msg = finetune_views.results_message(job, job.result or {}, plots_follow=False)
            else:
                msg = finetune_views.worker_lost_message(job)
            self._refresh_quietly(client, job.id)
            client.chat_postMessage(channel=job.channel, **msg, metadata=finetune_views.outcome_metadata(job.id))
            self.services.jobs.mark_notified(job.id)
            return True
        except Exception as error:
            if is_permanent(error):  # the DM or the installation is gone: retrying every tick cannot help
                log.error("giving up telling the owner of job %s how it ended: %s", job.id, error.response["error"])
                self.services.jobs.mark_notified(job.id)
                return False
            log.exception("could not tell the owner of job %s how it ended", job.id)
            return False

    def _refresh_quietly(self, client: WebClient, job_id: int) -> None:
        """The progress message is a nicety; a deleted one must not keep the outcome from being posted."""
        try:
            self._refresh(client, job_id)
        except Exception as error:  # noqa: BLE001 - the post that follows meets any lasting outage
            log.warning("could not refresh the message of job %s: %r", job_id, error)
