"""A fine-tune job's messages in its owner's DM: the one message updated in place as the job moves
through its states, and the post that tells how it ended. The bot (start, cancel, the tick's reaper)
and the worker (progress, results) both post through here, so a job reads the same whoever posts."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from slack_sdk.errors import SlackApiError

from bot import finetune_views
from bot.clock import as_utc
from bot.slack import Clients, find_posted

log = logging.getLogger(__name__)


class JobMessages:
    def __init__(self, jobs, clients: Clients, questions):
        """`questions` (a RunQuestionService) asks the owner about a succeeded run's own numbers."""
        self.jobs, self.clients, self.questions = jobs, clients, questions

    def refresh(self, job_id: int) -> None:
        """Redraw the job's message from its row (state, progress, queue position). Best effort: a Slack
        error or a database blip is logged, not raised (the next refresh draws the row again), so neither
        fails a run nor keeps an outcome from being posted."""
        try:
            job = self.jobs.get(job_id)
            if job is None or not job.channel or not job.message_ts:
                return
            position = self.jobs.queue_position(job_id) if job.state == "queued" else None
            msg = finetune_views.job_message(job, position)
            self.clients.for_team(job.team_id).chat_update(channel=job.channel, ts=job.message_ts, **msg)
        except Exception as error:  # noqa: BLE001 - SlackApiError, network, SQLAlchemyError alike
            log.warning("could not update job %s message: %r", job_id, error)

    def announce(self, job_id: int, look_since: datetime | None = None) -> bool:
        """Tell the owner how the job ended, once: the post carries the job id as metadata and is
        recorded. With `look_since`, first look for an earlier post of it in the DM (a process killed
        between posting and recording). True when this call posted. Plots follow when their files are
        on this machine. Slack errors propagate: the caller decides whether to retry later."""
        job = self.jobs.get(job_id)
        client = self.clients.for_team(job.team_id)
        if look_since is not None and find_posted(client, job.channel, finetune_views.OUTCOME_EVENT, "job_id",
                                                  job.id, as_utc(look_since)) is not None:
            self.jobs.mark_notified(job.id)
            return False
        self.refresh(job.id)
        plots = _plot_files(job.result or {})
        if job.state == "succeeded":
            msg = finetune_views.results_message(job, job.result or {}, plots_follow=bool(plots))
        else:
            msg = finetune_views.worker_lost_message(job)
        client.chat_postMessage(channel=job.channel, **msg, metadata=finetune_views.outcome_metadata(job.id))
        self.jobs.mark_notified(job.id)  # killed before this line: the tick finds the post by its metadata
        if plots and job.state == "succeeded":
            uploads = [{"file": str(p), "filename": p.name, "title": p.stem.replace("_", " ")} for p in plots]
            try:
                client.files_upload_v2(channel=job.channel, file_uploads=uploads,
                                       initial_comment=f"Plots of fine-tune #{job.id}")
            except SlackApiError as error:
                log.warning("plot upload for job %s failed: %s", job.id, error.response.get("error"))
        if job.state == "succeeded":
            try:  # once per run (the rows are the claim); the outcome above stands whatever happens here
                self.questions.ask(client, job)
            except Exception as error:  # noqa: BLE001 - SlackApiError, SQLAlchemyError alike
                log.warning("could not ask about job %s: %r", job.id, error)
        return True


def _plot_files(result: dict) -> list[Path]:
    plots = (result.get("paths") or {}).get("plots") or []
    return [Path(p) for p in (plots.values() if isinstance(plots, dict) else plots) if Path(p).is_file()]
