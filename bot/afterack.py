"""The work after the acks, on its own bounded pool (issue 14).

Bolt runs each listener's ack half on the request's own thread (`process_before_response=True`), so an
ack never waits for a thread that is busy with someone else's Web API calls; the work after the ack goes
to `AfterAck`: `workers` threads and at most `depth` requests waiting. When that is full, `submit` raises
`Busy` at once (the ack still goes out; `handlers.common.after_ack` tells the learner), so a burst
makes a bounded queue, never a growing one. Busy notices themselves go to a small pool of their own
(`notify`), dropped when that is full too: a notice is a courtesy, never a reason to wait.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)

WORKERS = 8  # enough for the work (mostly waiting on Slack); more threads only contend with the acks for the GIL
DEPTH = 1000  # requests waiting for a worker before new ones are turned away (a few seconds of work)
NOTICE_WORKERS, NOTICE_DEPTH = 2, 200


class Busy(RuntimeError):
    """The after-ack queue is full: the request was acknowledged, its work was not started."""


class AfterAck(ThreadPoolExecutor):
    """A thread pool whose queue is bounded: `submit` raises `Busy` instead of queueing past `depth`."""

    def __init__(self, workers: int = WORKERS, depth: int = DEPTH, *, name: str = "after-ack") -> None:
        super().__init__(max_workers=workers, thread_name_prefix=name)
        self.capacity = workers + depth
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._notices: ThreadPoolExecutor | None = None
        self._notice_slots = threading.BoundedSemaphore(NOTICE_WORKERS + NOTICE_DEPTH)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if not self._slots.acquire(blocking=False):
            raise Busy(f"{self.capacity} requests are being worked on or waiting")
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _done: self._slots.release())
        return future

    def notify(self, send: Callable[[], None]) -> bool:
        """Run `send` (a short notice to a learner) on the notice pool; False when that is full."""
        if not self._notice_slots.acquire(blocking=False):
            log.warning("after-ack queue and notice queue are both full: a busy notice was dropped")
            return False
        if self._notices is None:
            self._notices = ThreadPoolExecutor(max_workers=NOTICE_WORKERS, thread_name_prefix="busy-notice")

        def run() -> None:
            try:
                send()
            except Exception:  # noqa: BLE001 - a notice that fails is logged, never retried
                log.warning("could not send a busy notice", exc_info=True)
            finally:
                self._notice_slots.release()

        self._notices.submit(run)
        return True

    def close(self, grace_s: float = 5.0) -> int:
        """At shutdown: drop the work still waiting (its requests were acknowledged and their answers
        stored; only the follow-up messages are lost), let the work already running finish for up to
        `grace_s`, and return how many were dropped. Without this the interpreter's exit waited for the
        whole queue: over 10 s after a load run before the process ended on SIGTERM."""
        dropped = self._work_queue.qsize()
        self.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_s
        for thread in list(self._threads) + list(getattr(self._notices, "_threads", ())):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if dropped:
            log.warning("stopping: %d acknowledged requests' follow-ups were not sent", dropped)
        return dropped

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if self._notices is not None:
            self._notices.shutdown(wait=wait, cancel_futures=cancel_futures)
