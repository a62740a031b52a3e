"""Per-learner rate limits for work a click can start for free (data checks, "Try it" predictions).

In memory, per bot process: a sliding window of the last minute per key. Replicas each keep their
own window, which multiplies the allowance by the replica count; that is fine for fair use, and it
needs no database write per click.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Hashable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self._seen: dict[Hashable, deque] = {}
        self._lock = threading.Lock()

    def allow(self, key: Hashable) -> bool:
        """Count one event for `key`; False (and not counted) when the last minute is full."""
        now = self.clock()
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle keys now and then
                self._seen = {k: q for k, q in self._seen.items() if q and q[-1] > now - 60}
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            return True


def too_often(what: str, per_minute: int) -> str:
    """The learner-facing line for a refused event."""
    return f"That is more than {per_minute} {what} in a minute. Wait a minute, then try again."
