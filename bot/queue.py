"""Job queue glue (Huey): SQLite-backed by default, Redis when REDIS_URL is set.

Two queues: `train` (one fine-tune at a time per worker) and `predict` ("Try it", short, so it never
waits behind a long training run; comparison plots go there too). Tasks are registered by name on both sides, so the bot can enqueue
without importing anything heavy; a task body asks `worker_factory` for the `Worker` (built once, on
the first task, in whichever process runs it: a worker, or the bot in Huey's immediate mode).

Huey itself is imported when a queue is first used, not when the bot starts: huey 3 imports redis and
psycopg whenever they are installed (+18 MB of RSS with their own imports: opentelemetry, cryptography),
and a bot that nobody asks for a fine-tune never touches its queues.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings

PREDICT_POLL_SECONDS = 0.05  # an empty SQLite poll is one indexed SELECT: 20 a second cost next to nothing
# each task's name and queue; its body is the Worker's method of that name
TASK_QUEUES = {"run_finetune": "train", "run_prediction": "predict", "plot_comparison": "predict"}


def make_huey(settings: Settings, queue: str):
    from huey import RedisHuey, SqliteHuey

    name = f"{settings.queue_name}-{queue}"
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str((settings.data_dir / f"queue-{queue}.db").resolve()), results=False)


@dataclass(frozen=True)
class _Opened:
    """The two Hueys and the tasks registered on them, by name (calling one enqueues it)."""

    train: object
    predict: object
    tasks: dict[str, Callable]


class Queues:
    """The two queues and their tasks. Enqueue with `queues.run_finetune(job_id)` etc.; the Hueys are
    made, and their tasks registered, on the first use of either (see the module's docstring)."""

    def __init__(self, settings: Settings, worker_factory: Callable[[], object]):
        self.settings = settings
        self._worker_factory, self._worker, self._lock = worker_factory, None, threading.Lock()
        self._opened: _Opened | None = None
        self._open_lock = threading.Lock()

    def _open(self) -> _Opened:
        with self._open_lock:
            if self._opened is None:
                hueys = {queue: make_huey(self.settings, queue) for queue in ("train", "predict")}
                tasks = {name: hueys[queue].task(name=name)(self._task_body(name))
                         for name, queue in TASK_QUEUES.items()}
                self._opened = _Opened(hueys["train"], hueys["predict"], tasks)
            return self._opened

    def _task_body(self, name: str) -> Callable:
        """What the consumer runs for task `name`: the Worker's method of that name."""
        def body(*args):
            return getattr(self.worker(), name)(*args)
        body.__name__ = body.__qualname__ = name
        return body

    @property
    def train(self):
        return self._open().train

    @property
    def predict(self):
        return self._open().predict

    # enqueue: the arguments are the Worker method's
    def run_finetune(self, job_id: int) -> None:
        self._open().tasks["run_finetune"](job_id)

    def run_prediction(self, job_id: int, user_id: str, text: str, view_id: str, team_id: str | None = None) -> None:
        self._open().tasks["run_prediction"](job_id, user_id, text, view_id, team_id)

    def plot_comparison(self, team_id: str, user_id: str, job_ids: list[int], channel: str, ts: str) -> None:
        self._open().tasks["plot_comparison"](team_id, user_id, job_ids, channel, ts)

    def worker(self):
        with self._lock:
            if self._worker is None:
                self._worker = self._worker_factory()
            return self._worker

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
