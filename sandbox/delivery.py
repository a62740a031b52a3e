"""Sending signed requests to the bot's HTTP endpoint and recording what came back.

Slack waits 3 seconds for an ack; the sandbox waits longer (`timeout`) so slow test machines do not
flake, and marks late acks with `acked_in_time = False` so tests can still assert on the 3 s rule.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sandbox.signing import signature, signed_headers
from sandbox.state import WorkspaceState

SLACK_ACK_DEADLINE_S = 3.0
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class Delivery:
    """One request to the bot and its answer (status None when the bot could not be reached)."""

    kind: str
    payload: Any
    status: int | None
    body: str
    latency: float
    error: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def acked_in_time(self) -> bool:
        return self.ok and self.latency <= SLACK_ACK_DEADLINE_S

    @property
    def json(self) -> Any:
        """The response body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


class Deliverer:
    """Posts to `bot_url` with Slack's headers; every attempt goes to the journal."""

    def __init__(self, state: WorkspaceState, bot_url: str | None, timeout: float = 10.0) -> None:
        self.state = state
        self.bot_url = bot_url
        self.timeout = timeout

    def send(self, kind: str, payload: Any, body: bytes, content_type: str, *, sign: bool = True,
             timestamp: int | str | None = None, signing_secret: str | None = None,
             extra_headers: dict | None = None) -> Delivery:
        """Post `body`; `sign=False` leaves the signature out, `timestamp` forges an old one,
        and `signing_secret` signs with a wrong secret (for the bot's 401 tests)."""
        if not self.bot_url:
            raise RuntimeError("the sandbox has no bot_url to deliver to; set Workspace.bot_url first")
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if sign:
            headers.update(signed_headers(signing_secret or self.state.signing_secret, body, timestamp))
        elif timestamp is not None:
            headers["X-Slack-Request-Timestamp"] = str(timestamp)
        headers.update(extra_headers or {})
        delivery = self._post(kind, payload, body, headers)
        self.state.record({"kind": "delivery", "type": kind, "payload": payload, "status": delivery.status,
                           "response_body": delivery.body, "latency": round(delivery.latency, 6),
                           "error": delivery.error, "ok": delivery.ok})
        return delivery

    def _post(self, kind: str, payload: Any, body: bytes, headers: dict) -> Delivery:
        request = urllib.request.Request(self.bot_url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8", "replace")
                return Delivery(kind, payload, response.status, text, time.monotonic() - started)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            return Delivery(kind, payload, exc.code, text, time.monotonic() - started)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Delivery(kind, payload, None, "", time.monotonic() - started, error=str(reason))


def forge_signature(secret: str, timestamp: str, body: bytes) -> str:
    """A signature as Slack computes it, exposed for tests that build raw requests."""
    return signature(secret, timestamp, body)
