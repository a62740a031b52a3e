"""Fixtures: a started sandbox, a real slack_sdk client on it, and a tiny bot stand-in that
verifies Slack signatures with slack_sdk's own SignatureVerifier and answers what a test asks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from sandbox.driver import Workspace

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


class FakeBot:
    """Records each request (verified or not) and answers with `reply(request) -> (status, body)`."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.requests: list[dict] = []
        self.reply = lambda request: (200, "")
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = raw.decode("utf-8")
                headers = {k: v for k, v in self.headers.items()}
                verified = bot.verifier.is_valid_request(body, headers)
                request = {"body": body, "headers": headers, "verified": verified,
                           "content_type": self.headers.get("Content-Type", "")}
                if "json" in request["content_type"]:
                    request["data"] = json.loads(body)
                else:
                    form = {k: v[0] for k, v in parse_qs(body).items()}
                    request["data"] = json.loads(form["payload"]) if "payload" in form else form
                bot.requests.append(request)
                status, answer = (401, "invalid signature") if not verified else bot.reply(request)
                data = answer if isinstance(answer, str) else json.dumps(answer)
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(answer, str) else "text/plain")
                self.send_header("Content-Length", str(len(data.encode())))
                self.end_headers()
                self.wfile.write(data.encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slack/events"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ws():
    with Workspace(signing_secret=SECRET, bot_token=TOKEN) as workspace:
        yield workspace


@pytest.fixture
def client(ws):
    return WebClient(base_url=ws.api_url, token=TOKEN)


@pytest.fixture
def bot(ws):
    fake = FakeBot()
    ws.bot_url = fake.url
    yield fake
    fake.close()
