"""Job queue glue (Huey): SQLite-backed by default, Redis when REDIS_URL is set.

Two queues: `train` (one fine-tune at a time per worker) and `predict` ("Try it", short, so it never
waits behind a long training run). Tasks are registered by name on both sides, so the bot can enqueue
without importing anything heavy.
"""

from __future__ import annotations

from functools import lru_cache

from huey import RedisHuey, SqliteHuey

from bot.config import Settings


def make_huey(settings: Settings, queue: str):
    name = f"{settings.queue_name}-{queue}"
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str((settings.data_dir / f"queue-{queue}.db").resolve()), results=False)


class Queues:
    """The two queues and their tasks. Enqueue with `queues.run_finetune(job_id)` etc."""

    def __init__(self, settings: Settings):
        from bot import worker

        self.settings = settings
        self.train = make_huey(settings, "train")
        self.predict = make_huey(settings, "predict")
        self.run_finetune = self.train.task(name="run_finetune")(worker.run_finetune)
        self.run_prediction = self.predict.task(name="run_prediction")(worker.run_prediction)

    def pending(self) -> int:
        return self.train.pending_count()


@lru_cache(maxsize=8)
def queues_for(settings: Settings) -> Queues:
    return Queues(settings)
