"""The worker process: runs queued fine-tunes and "Try it" predictions, and reports to Slack.

Task bodies import `training` (torch, transformers) only when they run, so the bot process can
import this module to enqueue work without loading any of it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import finetune_views
from bot.config import Settings, load_settings
from bot.run_limits import with_deadline
from bot.services.jobs import JobService
from bot.slack import Clients, installation_store_for
from bot.store import Database

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 3.0
HEARTBEAT_SECONDS = 10.0


@dataclass
class WorkerContext:
    settings: Settings
    db: Database
    jobs: JobService
    clients: Clients

    def client(self, team_id: str | None) -> WebClient:
        return self.clients.for_team(team_id)


@lru_cache(maxsize=1)
def context() -> WorkerContext:
    from bot.clock import Clock

    settings = load_settings()
    db = Database(settings.db_url)
    clients = Clients(settings.api_url, settings.bot_token, installation_store_for(settings, db.engine))
    return WorkerContext(settings, db, JobService(db, Clock(), settings), clients)


def _update_job_message(ctx: WorkerContext, job_id: int) -> None:
    """Best effort: the message catches up at the next update, so neither Slack nor a database blip
    may fail the run."""
    try:
        _refresh_job_message(ctx, job_id)
    except Exception as error:  # noqa: BLE001 - SlackApiError, network, SQLAlchemyError alike
        log.warning("could not update job %s message: %r", job_id, error)


def _refresh_job_message(ctx: WorkerContext, job_id: int) -> None:
    job = ctx.jobs.get(job_id)
    if job is None or not job.channel or not job.message_ts:
        return
    msg = finetune_views.job_message(job)
    ctx.client(job.team_id).chat_update(channel=job.channel, ts=job.message_ts, text=msg["text"], blocks=msg["blocks"])


def run_finetune(job_id: int) -> None:
    """Huey task: queued → running → succeeded | failed | cancelled, reporting to the job's message."""
    ctx = context()
    worker_name = f"{socket.gethostname()}:{os.getpid()}"
    if not ctx.jobs.transition(job_id, ("queued",), "running", worker=worker_name, progress=0.0):
        return  # cancelled while waiting, or already taken
    _update_job_message(ctx, job_id)
    stop_beating = threading.Event()

    def beat() -> None:
        while not stop_beating.wait(HEARTBEAT_SECONDS):
            ctx.jobs.heartbeat_quietly(job_id)

    threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True).start()
    try:
        _train(ctx, job_id)
    except Exception as error:  # the learner gets a message, the operator the traceback
        code = getattr(error, "code", "internal_error")
        message = getattr(error, "message", None) or "Something went wrong inside the trainer; the operator can see the details in the worker log."
        if code == "internal_error":
            log.exception("fine-tune %s failed", job_id)
        if code == "cancelled":
            ctx.jobs.transition(job_id, ("running",), "cancelled", error_code="cancelled", error_message="Cancelled by its owner.")
        else:
            ctx.jobs.transition(job_id, ("running",), "failed", error_code=code, error_message=message)
        _update_job_message(ctx, job_id)
    finally:
        stop_beating.set()


def _train(ctx: WorkerContext, job_id: int) -> None:
    from training.request import FinetuneRequest
    from training.trainer import train

    job = ctx.jobs.get(job_id)
    request = FinetuneRequest.from_dict(job.request)
    out_dir = (ctx.settings.runs_dir / str(job_id)).resolve()
    data_path = _resolve_data(ctx, job, request, out_dir)
    config = request.to_train_config(data_path, str(out_dir / "model"))
    config.max_example_epochs = ctx.settings.max_example_epochs
    last_sent = [0.0, None]  # when, and in which phase, the message was last updated
    last_cancel_check = [0.0, False]

    def on_progress(progress) -> None:
        """Every step refreshes the heartbeat; Slack sees a new phase at once, else every few seconds."""
        now = time.monotonic()
        ctx.jobs.heartbeat_quietly(job_id, progress.fraction if progress.total_steps else None, progress.to_dict())
        if now - last_sent[0] >= PROGRESS_EVERY_SECONDS or progress.phase != last_sent[1] or progress.step == 1:
            last_sent[0], last_sent[1] = now, progress.phase
            _update_job_message(ctx, job_id)

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last_cancel_check[0] >= 1.0:
            last_cancel_check[0] = now
            last_cancel_check[1] = ctx.jobs.cancel_requested_or(job_id, last_cancel_check[1])
        return last_cancel_check[1]

    limited = with_deadline(should_stop, ctx.settings.max_run_minutes * 60)
    result = train(config, on_progress=on_progress, should_stop=limited).to_dict()
    model_dir = (result.get("paths") or {}).get("model_dir") or config.out_dir
    if not ctx.jobs.transition(job_id, ("running",), "succeeded", result=result, progress=1.0, model_dir=str(model_dir)):
        return
    job = ctx.jobs.get(job_id)
    _update_job_message(ctx, job_id)
    _post_results(ctx, job, result)


def _resolve_data(ctx: WorkerContext, job, request, out_dir: Path) -> str | None:
    if request.data_kind == "sample":
        return str(request.sample_path())
    if request.data_kind == "upload":
        from bot.files import UploadError, download
        from training.errors import DataError

        try:
            return str(download(ctx.client(job.team_id), request.data, job.user_id, out_dir / "upload"))
        except UploadError as error:
            raise DataError(error.code, error.message) from error
    return None  # hub data sets are loaded by the trainer


def _post_results(ctx: WorkerContext, job, result: dict) -> None:
    msg = finetune_views.results_message(job, result)
    client = ctx.client(job.team_id)
    client.chat_postMessage(channel=job.channel, text=msg["text"], blocks=msg["blocks"],
                            metadata=finetune_views.outcome_metadata(job.id))
    ctx.jobs.mark_notified(job.id)  # killed before this line: the bot's tick finds the post by its metadata
    plots = (result.get("paths") or {}).get("plots") or []
    plots = [p for p in (plots.values() if isinstance(plots, dict) else plots) if Path(p).is_file()]
    if plots:
        uploads = [{"file": p, "filename": Path(p).name, "title": Path(p).stem.replace("_", " ")} for p in plots]
        try:
            client.files_upload_v2(channel=job.channel, file_uploads=uploads,
                                       initial_comment=f"Plots of fine-tune #{job.id}")
        except SlackApiError as error:
            log.warning("plot upload for job %s failed: %s", job.id, error.response.get("error"))


def run_prediction(job_id: int, user_id: str, text: str, view_id: str, team_id: str | None = None) -> None:
    """Huey task: "Try it" — predict with the job's saved model and show it in the learner's modal.
    Only the job's owner, in the job's workspace, may use it (user ids are per workspace)."""
    ctx = context()
    job = ctx.jobs.get(job_id)
    if job is None or (job.team_id, job.user_id) != (team_id, user_id) or job.state != "succeeded" or not job.model_dir:
        view = finetune_views.prediction_modal(job_id, text, None, "That model is not available.")
    else:
        try:
            from training.predict import predict

            view = finetune_views.prediction_modal(job_id, text, predict(job.model_dir, text))
        except Exception:
            log.exception("prediction with job %s failed", job_id)
            view = finetune_views.prediction_modal(job_id, text, None, "The prediction failed; try again.")
    try:
        ctx.client(job.team_id if job else None).views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        log.warning("could not show prediction for job %s: %s", job_id, error.response.get("error"))


def serve(settings: Settings, threads_predict: int = 1) -> None:
    """Run the worker in this process until SIGINT/SIGTERM: one training at a time, predictions beside it."""
    from bot.queue import Queues

    queues = Queues(settings)
    predict_consumer = queues.predict.create_consumer(workers=threads_predict, worker_type="thread",
                                                      check_worker_health=False, periodic=False)
    predict_consumer.start()
    train_consumer = queues.train.create_consumer(workers=1, worker_type="thread", periodic=False)
    try:
        train_consumer.run()
    finally:
        predict_consumer.stop(graceful=False)
