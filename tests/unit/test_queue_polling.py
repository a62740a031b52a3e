"""The worker's `predict` queue keeps polling at its short interval when idle (issue 14, "Try it" latency).

Huey's consumer backs off on an empty non-blocking queue (x1.15 per poll, up to 10 s): after a learner's
pause of a few seconds the next "Try it" waited for a late poll of the SQLite queue. These tests drive an
idle consumer worker's polling loop and read how long it would sleep each time."""

from __future__ import annotations

from bot.config import load_settings
from bot.queue import PREDICT_POLL_SECONDS, Queues


class RecordingStop:
    """Stands in for the consumer's stop flag: records each sleep instead of sleeping."""

    def __init__(self):
        self.waits: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return False

    def is_set(self) -> bool:
        return False


def idle_waits(consumer, polls: int = 60) -> list[float]:
    worker = consumer._create_worker()  # what each consumer thread runs, one loop() per poll
    worker.stop_flag = RecordingStop()
    for _ in range(polls):
        worker.loop()
    return worker.stop_flag.waits


def queues(tmp_path) -> Queues:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", "TUTOR_DATA_DIR": str(tmp_path)})
    return Queues(settings, worker_factory=lambda: None)


def test_an_idle_predict_consumer_never_backs_off(tmp_path):
    waits = idle_waits(queues(tmp_path).predict_consumer())
    assert len(waits) == 60, "every empty poll of the SQLite queue sleeps before the next"
    assert set(waits) == {PREDICT_POLL_SECONDS}


def test_huey_backs_off_by_default_so_the_setting_matters(tmp_path):
    """The default consumer on the same queue sleeps longer and longer: what the predict consumer avoids."""
    waits = idle_waits(queues(tmp_path).predict.create_consumer(workers=1, worker_type="thread", periodic=False))
    assert waits[-1] > 10 * waits[0]
