"""Slack-looking identifiers and message timestamps.

Slack ids are upper-case letters and digits with a one-letter kind prefix; message `ts` values are
"seconds.micro" strings that are unique per channel. Tests compare and sort on them, so `ts` values
here are strictly increasing across the whole workspace.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time


class IdMaker:
    """Hands out ids like `V00000001` and unique increasing `ts` strings, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, itertools.count] = {}
        self._last_ts = 0.0

    def new_id(self, prefix: str) -> str:
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            return f"{prefix}{next(counter):08d}"

    def new_ts(self) -> str:
        """A message timestamp: wall-clock seconds with microseconds, never repeated."""
        with self._lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
            return f"{now:.6f}"

    @staticmethod
    def new_trigger_id() -> str:
        return f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"

    @staticmethod
    def new_secret_token(length: int = 12) -> str:
        return secrets.token_urlsafe(length)
