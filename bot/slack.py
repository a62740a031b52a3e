"""Slack Web API helpers: a client that retries on 429 and connection errors, and the DM helper."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

log = logging.getLogger(__name__)


def retry_handlers(max_retries: int = 5) -> list:
    """Honour `Retry-After` on 429, and retry dropped connections with backoff."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ConnectionErrorRetryHandler(max_retry_count=3),
    ]


def make_client(api_url: str, token: str | None = None) -> WebClient:
    client = WebClient(token=token, base_url=api_url, timeout=15)
    for handler in retry_handlers():
        client.retry_handlers.append(handler)
    return client


def open_dm(client: WebClient, user_id: str) -> str:
    """The id of the learner's DM with the bot (`conversations.open` is idempotent on Slack's side)."""
    response = client.conversations_open(users=user_id)
    return response["channel"]["id"]


def escape(text: str) -> str:
    """Escape user text for Slack mrkdwn so nobody can ping @channel or inject links through it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
