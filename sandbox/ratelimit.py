"""Token-bucket rate limits, switched on by tests to exercise the bot's 429 handling.

Off by default so ordinary tests never wait. `like_slack()` installs limits shaped like Slack's:
chat.postMessage about one message a second per channel with short bursts tolerated, plus per-method
workspace budgets in the style of Slack's tiers (Tier 3 ~50/min, Tier 4 ~100/min).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

# Slack's tier budgets per minute for the methods the tutor calls.
SLACK_TIERS = {
    "chat.update": 50,
    "chat.delete": 50,
    "conversations.open": 50,
    "conversations.info": 100,
    "chat.postEphemeral": 100,
    "views.open": 100,
    "views.update": 100,
    "views.push": 100,
    "views.publish": 100,
    "users.info": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
    "files.info": 100,
}
POST_MESSAGE_BURST_PER_CHANNEL = 5
POST_MESSAGE_WORKSPACE_PER_MINUTE = 300


@dataclass
class Rule:
    """`burst` calls at once, refilled evenly over `per_seconds`; `retry_after` overrides the hint."""

    burst: int
    per_seconds: float
    retry_after: int | None = None
    per_channel: bool = False
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, when)

    def _tokens(self, key: str, now: float) -> float:
        rate = self.burst / self.per_seconds
        tokens, last = self.buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - last) * rate)

    def wait_needed(self, key: str, now: float) -> int | None:
        """None when a token is there, else the seconds to wait (the Retry-After hint)."""
        tokens = self._tokens(key, now)
        if tokens >= 1.0:
            return None
        if self.retry_after is not None:
            return self.retry_after
        return max(1, math.ceil((1.0 - tokens) * self.per_seconds / self.burst))

    def spend(self, key: str, now: float) -> None:
        self.buckets[key] = (self._tokens(key, now) - 1.0, now)


class RateLimiter:
    """Rules per API method; several rules on one method must all allow the call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, list[Rule]] = {}

    def set(self, method: str, burst: int, per_seconds: float, retry_after: int | None = None, *,
            per_channel: bool = False) -> None:
        """Replace the rules for `method` with one rule."""
        if burst < 1 or per_seconds <= 0:
            raise ValueError("burst must be >= 1 and per_seconds > 0")
        with self._lock:
            self._rules[method] = [Rule(burst, per_seconds, retry_after, per_channel)]

    def add(self, method: str, burst: int, per_seconds: float, retry_after: int | None = None, *,
            per_channel: bool = False) -> None:
        """Add a rule to `method` alongside the ones it has."""
        with self._lock:
            self._rules.setdefault(method, []).append(Rule(burst, per_seconds, retry_after, per_channel))

    def clear(self, method: str | None = None) -> None:
        with self._lock:
            if method is None:
                self._rules.clear()
            else:
                self._rules.pop(method, None)

    def like_slack(self) -> None:
        """Install Slack-shaped limits (see the module docstring)."""
        self.clear()
        self.set("chat.postMessage", POST_MESSAGE_BURST_PER_CHANNEL, POST_MESSAGE_BURST_PER_CHANNEL,
                 per_channel=True)
        self.add("chat.postMessage", POST_MESSAGE_WORKSPACE_PER_MINUTE, 60)
        for method, per_minute in SLACK_TIERS.items():
            self.set(method, per_minute, 60)

    def check(self, method: str, channel: str | None = None) -> int | None:
        """None when the call may go ahead, else Retry-After seconds. Denied calls spend nothing."""
        now = time.monotonic()
        with self._lock:
            rules = [(rule, (channel or "") if rule.per_channel else "")
                     for rule in self._rules.get(method, [])]
            waits = [w for w in (rule.wait_needed(key, now) for rule, key in rules) if w is not None]
            if waits:
                return max(waits)
            for rule, key in rules:
                rule.spend(key, now)
            return None
