"""Job queue glue (Huey): SQLite-backed by default, Redis when REDIS_URL is set.

Two queues: `train` (one fine-tune at a time per worker) and `predict` ("Try it", short, so it never
waits behind a long training run; comparison plots go there too). Tasks are registered by name on both sides, so the bot can enqueue
without importing anything heavy; a task body asks `worker_factory` for the `Worker` (built once, on
the first task, in whichever process runs it: a worker, or the bot in Huey's immediate mode).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from huey import RedisHuey, SqliteHuey

from bot.config import Settings

PREDICT_POLL_SECONDS = 0.05  # an empty SQLite poll is one indexed SELECT: 20 a second cost next to nothing


def make_huey(settings: Settings, queue: str):
    name = f"{settings.queue_name}-{queue}"
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str((settings.data_dir / f"queue-{queue}.db").resolve()), results=False)


class Queues:
    """The two queues and their tasks. Enqueue with `queues.run_finetune(job_id)` etc."""

    def __init__(self, settings: Settings, worker_factory: Callable[[], object]):
        self.settings = settings
        self._worker_factory, self._worker, self._lock = worker_factory, None, threading.Lock()
        self.train = make_huey(settings, "train")
        self.predict = make_huey(settings, "predict")
        self.run_finetune = self.train.task(name="run_finetune")(self._run_finetune)
        self.run_prediction = self.predict.task(name="run_prediction")(self._run_prediction)
        self.plot_comparison = self.predict.task(name="plot_comparison")(self._plot_comparison)

    def worker(self):
        with self._lock:
            if self._worker is None:
                self._worker = self._worker_factory()
            return self._worker

    def _run_finetune(self, job_id: int) -> None:
        self.worker().run_finetune(job_id)

    def _run_prediction(self, job_id: int, user_id: str, text: str, view_id: str, team_id: str | None = None) -> None:
        self.worker().run_prediction(job_id, user_id, text, view_id, team_id)

    def _plot_comparison(self, team_id: str, user_id: str, job_ids: list[int], channel: str, ts: str) -> None:
        self.worker().plot_comparison(team_id, user_id, job_ids, channel, ts)

    def pending(self) -> int:
        return self.train.pending_count()

    def predict_consumer(self, threads: int = 1):
        """The consumer of the `predict` queue. It polls every PREDICT_POLL_SECONDS and never backs off:
        Huey's default backoff (x1.15 per empty poll, up to 10 s) made a "Try it" typed after a pause
        wait seconds for the next poll of the SQLite queue (bench/tryit.py). Redis blocks instead of polling."""
        return self.predict.create_consumer(workers=threads, worker_type="thread", check_worker_health=False,
                                            periodic=False, initial_delay=PREDICT_POLL_SECONDS, backoff=1.0,
                                            max_delay=PREDICT_POLL_SECONDS)

    def consume(self, predict_threads: int = 1) -> None:
        """Run the worker in this process until SIGINT/SIGTERM: one training at a time, predictions beside it."""
        predict_consumer = self.predict_consumer(predict_threads)
        predict_consumer.start()
        train_consumer = self.train.create_consumer(workers=1, worker_type="thread", periodic=False)
        try:
            train_consumer.run()
        finally:
            predict_consumer.stop(graceful=False)
