"""Socket Mode end to end: the real bot behind Bolt's SocketModeHandler (slack_sdk's built-in client),
connected to the sandbox's WebSocket; the learning flow, a drip and a /finetune request go through it."""

from __future__ import annotations

import json
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot import socket_mode
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "drips"))
from drip_steps import daily, lessons_received, local_moment, tick_at  # noqa: E402

from tests.conftest import Tutor  # noqa: E402

pytestmark = pytest.mark.slow  # real WebSocket sessions: seconds each, in the full run

APP_TOKEN = "xapp-1-A0TUTOR-1-sandbox"
LIN, ADA = "U0LIN", "U0ADA"


def start_socket_tutor(tmp_path: Path, clock=None) -> tuple[Tutor, SocketModeHandler]:
    from bot.clock import MovableClock
    from bot.config import load_settings
    from bot.runtime import BotRuntime
    from sandbox.driver import Workspace

    ws = Workspace(signing_secret="test-secret", bot_token="xoxb-test-token").start()
    ws.use_socket_mode(APP_TOKEN)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-secret",
                              "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": ws.api_url,
                              "TUTOR_DATA_DIR": str(tmp_path / "data")})
    clock = clock or MovableClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    runtime = BotRuntime(settings, clock=clock, start_scheduler=False, sends_per_second=200).start()
    # a short ping interval: after a dropped connection the client notices within seconds, not tens
    handler = SocketModeHandler(runtime.app, APP_TOKEN, ping_interval=1)
    handler.connect()
    ws.socket_mode.wait_connected()
    return Tutor(ws, runtime, None, clock, settings), handler


@pytest.fixture
def sm(tmp_path):
    tutor, handler = start_socket_tutor(tmp_path)
    yield tutor
    socket_mode.close(handler)  # slack_sdk's close can wait forever on a thread of a replaced connection
    tutor.runtime.stop()
    tutor.ws.stop()


def dm(tutor, user):
    return [m for m in tutor.ws.messages(tutor.ws.dm_channel(user)) if not m.get("is_ephemeral")]


def text_of(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks", []), ensure_ascii=False)


def buttons(message: dict, prefix: str) -> list[dict]:
    return [e for b in message.get("blocks", []) if b.get("type") == "actions"
            for e in b.get("elements", []) if e.get("action_id", "").startswith(prefix)]


def over_socket_only(ws) -> list[dict]:
    deliveries = ws.deliveries()
    assert deliveries and all(d.get("transport") == "socket_mode" for d in deliveries)
    return deliveries


def test_connections_open_takes_the_app_token_only_and_each_url_once(sm):
    def refusal(token: str) -> str:
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=sm.ws.api_url).apps_connections_open(app_token=token)
        return refused.value.response["error"]

    assert refusal("xoxb-test-token") == "not_allowed_token_type"
    assert refusal("xapp-1-wrong") == "invalid_auth"
    url = WebClient(base_url=sm.ws.api_url).apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    from urllib.parse import urlsplit

    def handshake(target: str) -> bytes:
        parts = urlsplit(target)
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            sock.sendall((f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n").encode())
            return sock.recv(4096)

    first = handshake(url)
    assert first.startswith(b"HTTP/1.1 101") and b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in first
    assert handshake(url).startswith(b"HTTP/1.1 401"), "a ticket works once"


def test_learning_flow_over_socket_mode(sm):
    ws = sm.ws
    delivery = ws.slash(LIN, "/lesson", "1.1", channel=ws.dm_channel(LIN))
    assert delivery.status == 200
    first = ws.wait_for(lambda: [m for m in dm(sm, LIN) if "Lesson 1.1" in text_of(m)])[0]
    pages = sm.services.course.page_count("1.1")
    for page in range(1, pages):
        message = ws.wait_for(lambda: [m for m in dm(sm, LIN) if any(
            json.loads(b["value"]).get("p") == page for b in buttons(m, "lesson_continue"))])[-1]
        assert ws.click(LIN, message, "lesson_continue").status == 200
    questions = len(sm.services.course.lesson("1.1").quiz)
    quiz = ws.wait_for(lambda: (lambda qs: qs if len(qs) >= questions else None)(
        [m for m in dm(sm, LIN) if buttons(m, "quiz_answer_")]))
    for message in quiz:
        value = json.loads(buttons(message, "quiz_answer_")[0]["value"])
        question = next(q for q in sm.services.course.lesson(value["l"]).quiz if q.id == value["q"])
        assert ws.click(LIN, message, f"quiz_answer_{question.choices.index(question.answer)}").status == 200
    ws.wait_for(lambda: "1.1" in sm.services.learning.summary("T0SANDBOX", LIN).__repr__()
                or sm.services.learning.next_lesson_id("T0SANDBOX", LIN) != "1.1")
    assert ws.open_home(LIN).status == 200
    ws.wait_for(lambda: ws.home_view(LIN))
    kinds = {d["envelope_type"] for d in over_socket_only(ws)}
    assert kinds == {"slash_commands", "interactive", "events_api"}
    assert first


def test_drip_subscribed_over_socket_mode_is_sent(sm):
    reply = daily(sm, ADA, "09:00")
    assert "09:00" in reply
    tick_at(sm, local_moment("Europe/London", 2026, 3, 3, 9, 0))
    assert len(lessons_received(sm.ws, ADA)) == 1
    over_socket_only(sm.ws)


def test_finetune_request_over_socket_mode(sm):
    ws = sm.ws
    assert ws.slash(LIN, "/finetune", "").status == 200
    view = ws.wait_for(lambda: ws.open_views(LIN))[-1]
    refused = ws.submit_view(LIN, view, {"lr": {"value": "fast please"}})
    assert refused.json["response_action"] == "errors" and "lr" in refused.json["errors"]
    assert ws.submit_view(LIN, view, {"epochs": {"value": "2"}}).status == 200
    job = ws.wait_for(lambda: sm.services.jobs.for_user("T0SANDBOX", LIN))[0]
    assert job.request["epochs"] == 2
    ws.wait_for(lambda: [m for m in dm(sm, LIN) if "position 1" in json.dumps(m.get("blocks", []))])
    over_socket_only(ws)


def test_unacked_event_is_redelivered_and_applied_once(sm):
    ws = sm.ws
    ws.socket_mode.lose_acks(1)
    delivery = ws.open_home(LIN)
    assert delivery.status == 200
    attempts = ws.deliveries("event:app_home_opened")
    # the first ack was lost, so Slack's rule sends it again (a loaded machine may need one more)
    assert [a["retry_attempt"] for a in attempts] == list(range(len(attempts))) and len(attempts) >= 2
    assert not attempts[0]["ok"] and attempts[-1]["ok"]
    assert len({a["envelope_id"] for a in attempts}) == len(attempts)
    assert {a["payload"]["event_id"] for a in attempts} == {attempts[0]["payload"]["event_id"]}
    ws.wait_for(lambda: ws.home_view(LIN))
    # a later event proves the bot has finished with the first one; it published the home once for it
    ws.open_home(ADA)
    ws.wait_for(lambda: ws.home_view(ADA))
    published = [e for e in ws.journal("views.publish") if e["args"].get("user_id") == LIN]
    assert len(published) == 1


@pytest.mark.slow
def test_reconnect_after_a_drop_and_a_refresh_loses_nothing(sm):
    ws = sm.ws
    assert ws.socket_mode.drop_connections() == 1
    delivery = ws.slash(LIN, "/lesson", "1.1", channel=ws.dm_channel(LIN))  # waits for the new connection
    assert delivery.status == 200
    ws.wait_for(lambda: [m for m in dm(sm, LIN) if "Lesson 1.1" in text_of(m)])
    ws.socket_mode.request_refresh()
    ws.wait_for(lambda: len([e for e in ws.journal(kind="socket") if e["action"] == "connected"]) >= 3,
                timeout=30, message="a new connection after the refresh")
    ws.socket_mode.wait_connected()
    assert ws.open_home(ADA).status == 200
    ws.wait_for(lambda: ws.home_view(ADA))
    actions = [e["action"] for e in ws.journal(kind="socket")]
    assert "disconnect:warning" in actions and "disconnect:refresh_requested" in actions
    # an event caught on a connection as it closed is sent again on the next one (retry_attempt 1)
    home = ws.deliveries("event:app_home_opened")
    assert home[-1]["ok"] and [d["retry_attempt"] for d in home] == list(range(len(home)))
