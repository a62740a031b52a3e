"""The worker: runs queued fine-tunes and "Try it" predictions, and reports to Slack.

Task bodies import `training` (torch, transformers) only when they run, so the bot process can
build a `Worker` (for Huey's immediate mode in tests) without loading any of it. The queues call
`Worker.run_finetune` / `Worker.run_prediction` by task name; see `bot.queue`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from slack_sdk.errors import SlackApiError

from bot import challenge_views, finetune_views
from bot.config import Settings
from bot.finetune_request import FinetuneRequest
from bot.run_limits import with_deadline
from bot.services.challenges import ChallengeService, Entry
from bot.services.finetune_data import DataResolver
from bot.services.job_messages import JobMessages
from bot.services.jobs import JobService
from bot.slack import Clients

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 3.0
HEARTBEAT_SECONDS = 10.0
INTERNAL_ERROR = "Something went wrong inside the trainer; the operator can see the details in the worker log."


class Worker:
    def __init__(self, *, settings: Settings, jobs: JobService, clients: Clients, messages: JobMessages,
                 resolver: DataResolver, challenges: ChallengeService):
        self.settings, self.jobs, self.clients = settings, jobs, clients
        self.messages, self.resolver, self.challenges = messages, resolver, challenges
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def run_finetune(self, job_id: int) -> None:
        """Task: queued → running → succeeded | failed | cancelled, reporting to the job's message."""
        if not self.jobs.transition(job_id, ("queued",), "running", worker=self.name, progress=0.0):
            return  # cancelled while waiting, or already taken
        self.messages.refresh(job_id)
        stop_beating = threading.Event()

        def beat() -> None:
            while not stop_beating.wait(HEARTBEAT_SECONDS):
                self.jobs.heartbeat_quietly(job_id)

        threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True).start()
        try:
            self._train(job_id)
        except Exception as error:  # the learner gets a message, the operator the traceback
            code = getattr(error, "code", "internal_error")
            message = getattr(error, "message", None) or INTERNAL_ERROR
            if code == "internal_error":
                log.exception("fine-tune %s failed", job_id)
            if code == "cancelled":
                self.jobs.transition(job_id, ("running",), "cancelled", error_code="cancelled",
                                     error_message="Cancelled by its owner.")
            else:
                self.jobs.transition(job_id, ("running",), "failed", error_code=code, error_message=message)
            self.messages.refresh(job_id)
        finally:
            stop_beating.set()

    def _train(self, job_id: int) -> None:
        from pathlib import Path

        job = self.jobs.get(job_id)
        request = self._resolved(job)
        if request.task == "chat":
            from training.chat_trainer import train_chat as train

            entry = None  # challenges score classifiers on a hidden split; a chat run takes no part
        else:
            from training.trainer import train

            entry = self._enter_challenge(job)
        if entry is not None and entry.entered:  # train on the data minus the hidden split
            request = request.resolved(Path(entry.challenge.train_path))
        config = request.train_config(str((self.settings.runs_dir / str(job_id) / "model").resolve()))
        config.max_example_epochs = self.settings.max_example_epochs
        should_stop = with_deadline(self._cancel_checker(job_id), self.settings.max_run_minutes * 60)
        try:
            result = train(config, on_progress=self._progress_reporter(job_id), should_stop=should_stop).to_dict()
        except Exception:
            if entry is not None and entry.entered:
                self.challenges.record_score(entry.id, None)
            raise
        model_dir = (result.get("paths") or {}).get("model_dir") or config.out_dir
        if self.jobs.transition(job_id, ("running",), "succeeded", result=result, progress=1.0, model_dir=str(model_dir)):
            self.messages.announce(job_id)
            if entry is not None and entry.entered:
                self.score_on_challenge(job_id, entry, str(model_dir))

    def _enter_challenge(self, job) -> Entry | None:
        """The open challenge this run takes part in; a run refused for scoring is told why, at once."""
        entry = self.challenges.enter(job)
        if entry is not None and not entry.entered and job.channel:
            try:
                self.clients.for_team(job.team_id).chat_postMessage(
                    channel=job.channel, **challenge_views.refused_message(entry.challenge, job.id, entry.reason))
            except SlackApiError as error:
                log.warning("could not tell job %s's owner about the challenge: %s", job.id,
                            error.response.get("error"))
        return entry

    def score_on_challenge(self, job_id: int, entry: Entry, model_dir: str) -> None:
        """Score the run's model on the challenge's hidden split (which never leaves this process but as a
        score), fill the challenge's baselines on it once, and tell the owner their score and place."""
        from training.data import load_table
        from training.metrics import classification_metrics
        from training.predict import predict

        challenge = entry.challenge
        hidden = load_table(challenge.hidden_path)
        predicted = [predict(model_dir, text)["label"] for text in hidden.texts]
        labels = sorted(set(hidden.labels) | set(predicted))
        score = float(classification_metrics(hidden.labels, predicted, labels)[challenge.metric])
        if not challenge.baselines:
            from training.baselines import majority_baseline, tfidf_baseline

            train = load_table(challenge.train_path)
            self.challenges.set_baselines(challenge.id, {
                "majority": majority_baseline(train.labels, hidden.labels),
                "tfidf_logreg": tfidf_baseline((train.texts, train.labels), (hidden.texts, hidden.labels))})
        self.challenges.record_score(entry.id, score)
        job = self.jobs.get(job_id)
        board = self.challenges.leaderboard(challenge.id)
        rank = next((i for i, s in enumerate(board, 1) if s.user_id == job.user_id), None)
        try:
            self.clients.for_team(job.team_id).chat_postMessage(
                channel=job.channel, **challenge_views.scored_message(challenge, job_id, score, rank, len(board)))
        except SlackApiError as error:
            log.warning("could not tell job %s's challenge score: %s", job_id, error.response.get("error"))

    def _resolved(self, job) -> FinetuneRequest:
        """The job's request with its data on disk; jobs queued by the bot arrive resolved already."""
        from bot.files import UploadError
        from training.errors import DataError

        request = FinetuneRequest.from_dict(job.request)
        try:
            return self.resolver.resolve(self.clients.for_team(job.team_id), request, job.user_id)
        except UploadError as error:
            raise DataError(error.code, error.message) from error

    def _progress_reporter(self, job_id: int):
        """Every step refreshes the heartbeat; Slack sees a new phase at once, else every few seconds."""
        last_sent = [0.0, None]  # when, and in which phase, the message was last updated

        def on_progress(progress) -> None:
            now = time.monotonic()
            self.jobs.heartbeat_quietly(job_id, progress.fraction if progress.total_steps else None, progress.to_dict())
            if now - last_sent[0] >= PROGRESS_EVERY_SECONDS or progress.phase != last_sent[1] or progress.step == 1:
                last_sent[0], last_sent[1] = now, progress.phase
                self.messages.refresh(job_id)

        return on_progress

    def _cancel_checker(self, job_id: int):
        """The trainer asks every step; the database is asked at most once a second."""
        last = [0.0, False]

        def should_stop() -> bool:
            now = time.monotonic()
            if now - last[0] >= 1.0:
                last[0], last[1] = now, self.jobs.cancel_requested_or(job_id, last[1])
            return last[1]

        return should_stop

    def run_prediction(self, job_id: int, user_id: str, text: str, view_id: str, team_id: str | None = None) -> None:
        """Task: "Try it" — predict with the job's saved model and show it in the learner's modal.
        Only the job's owner, in the job's workspace, may use it (user ids are per workspace)."""
        job = self.jobs.get(job_id)
        if job is None or (job.team_id, job.user_id) != (team_id, user_id) or job.state != "succeeded" or not job.model_dir:
            view = finetune_views.prediction_modal(job_id, text, None, "That model is not available.")
        else:
            try:
                if (job.result or {}).get("task") == "chat":
                    from training.chat_predict import answer_both as predict_with
                    answer = predict_with(job.result, text)
                else:
                    from training.predict import predict
                    answer = predict(job.model_dir, text)
                view = finetune_views.prediction_modal(job_id, text, answer)
            except Exception:
                log.exception("prediction with job %s failed", job_id)
                view = finetune_views.prediction_modal(job_id, text, None, "The prediction failed; try again.")
        try:
            self.clients.for_team(job.team_id if job else None).views_update(view_id=view_id, view=view)
        except SlackApiError as error:
            log.warning("could not show prediction for job %s: %s", job_id, error.response.get("error"))

    def plot_comparison(self, team_id: str, user_id: str, job_ids: list[int], channel: str, ts: str) -> None:
        """Task: draw the validation curves of the learner's runs `job_ids` in one plot, upload it (shared
        nowhere) and put it into the comparison message `ts`. Only the learner's own runs are read."""
        import tempfile
        from pathlib import Path

        from bot import runs_views
        from bot.services.runs import CompareRefused, load_comparison
        from training.plots import plot_validation_curves

        client = self.clients.for_team(team_id)
        try:
            cmp = load_comparison(self.jobs, team_id, user_id, job_ids)
        except CompareRefused as refused:
            log.warning("comparison plot of %s refused: %s", job_ids, refused)
            return
        series = {f"#{run.id} ({run.method}, lr {run.lr:g})" if run.lr else f"#{run.id}": run.val_curve
                  for run in cmp.runs}
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = plot_validation_curves(series, Path(folder) / "validation-curves.png")
                uploaded = client.files_upload_v2(file=path, filename="validation-curves.png",
                                                  title="Validation loss per epoch")
            file_id = (uploaded.get("file") or {}).get("id") or uploaded["files"][0]["id"]
            client.chat_update(channel=channel, ts=ts, **runs_views.compare_message(cmp, plot_file_id=file_id))
        except Exception:
            log.exception("comparison plot of %s failed", job_ids)
            client.chat_update(channel=channel, ts=ts, **runs_views.compare_message(
                cmp, plot_note="The plot could not be drawn; the numbers above stand."))
