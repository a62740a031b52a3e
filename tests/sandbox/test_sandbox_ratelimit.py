"""Rate limits on demand: HTTP 429, Retry-After, and slack_sdk's retry handler getting through."""

from __future__ import annotations

import time

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler


def test_over_the_limit_answers_429_with_retry_after(ws, client):
    ws.set_rate_limit("chat.postMessage", burst=2, per_seconds=60, retry_after=7)
    client.chat_postMessage(channel="C0GENERAL", text="1")
    client.chat_postMessage(channel="C0GENERAL", text="2")
    raw = requests.post(ws.api_url + "chat.postMessage", data={"token": ws.bot_token, "channel": "C0GENERAL",
                                                               "text": "3"})
    assert raw.status_code == 429
    assert raw.headers["Retry-After"] == "7"
    assert raw.json() == {"ok": False, "error": "ratelimited"}
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0GENERAL", text="4")
    assert caught.value.response.status_code == 429
    assert len(ws.messages("C0GENERAL")) == 2
    assert ws.journal("chat.postMessage")[-1]["error"] == "ratelimited"


def test_slack_sdk_retry_handler_waits_and_succeeds(ws):
    ws.set_rate_limit("chat.postMessage", burst=1, per_seconds=1)
    client = WebClient(base_url=ws.api_url, token=ws.bot_token,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
    started = time.monotonic()
    client.chat_postMessage(channel="C0GENERAL", text="a")
    client.chat_postMessage(channel="C0GENERAL", text="b")
    assert time.monotonic() - started >= 0.9
    statuses = [e["status"] for e in ws.journal("chat.postMessage")]
    assert statuses[0] == 200 and statuses[-1] == 200 and 429 in statuses
    assert [m["text"] for m in ws.messages("C0GENERAL")] == ["a", "b"]


def test_like_slack_limits_each_channel_separately(ws, client):
    ws.rate_limit_like_slack()
    for index in range(5):
        client.chat_postMessage(channel="C0GENERAL", text=str(index))
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0GENERAL", text="burst over")
    client.chat_postMessage(channel="U0ADA", text="another channel is fine")
    ws.clear_rate_limits()
    client.chat_postMessage(channel="C0GENERAL", text="limits off")
