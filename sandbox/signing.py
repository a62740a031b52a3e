"""Slack's request signing (v0), so the bot's verifier sees exactly what Slack would send.

Signature: "v0=" + hex HMAC-SHA256(signing_secret, "v0:{timestamp}:{raw body}").
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(signing_secret: str, timestamp: str, body: bytes | str) -> str:
    raw = body.decode("utf-8") if isinstance(body, bytes) else body
    base = f"v0:{timestamp}:{raw}".encode("utf-8")
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(signing_secret: str, body: bytes | str, timestamp: int | str | None = None) -> dict:
    """The two headers Slack adds to every request it sends to an app."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(signing_secret, stamp, body),
    }
