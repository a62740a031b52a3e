"""`tutor run --http` and `tutor doctor` as an operator runs them: real processes, real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from sandbox.driver import Workspace
from tests.helpers import ROOT, wait_for

pytestmark = pytest.mark.slow  # real `python -m bot ...` processes: a cold start each


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_run_http_acknowledges_a_signed_command_within_3_seconds(tmp_path):
    with Workspace(signing_secret="run-secret", bot_token="xoxb-run-token") as ws:
        port = free_port()
        env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-run-token", SLACK_SIGNING_SECRET="run-secret",
                   SLACK_API_URL=ws.api_url, TUTOR_DATA_DIR=str(tmp_path))
        env.pop("SLACK_APP_TOKEN", None)
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--port", str(port), "--no-worker"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), timeout=20, interval=0.1,
                     message="the bot to become healthy")
            print(f"cold start to healthy: {time.monotonic() - started:.2f}s")
            ws.bot_url = f"http://127.0.0.1:{port}/slack/events"
            delivery = ws.slash("U0KOF", "/lesson", "help")
            assert delivery.status == 200 and delivery.latency < 3
            ws.wait_for(lambda: [m for m in ws.messages("C0GENERAL") if "/lesson 2.1" in str(m.get("blocks"))])
            assert ws.slash("U0KOF", "/lesson", "help", signing_secret="wrong").status == 401
        finally:
            process.terminate()
            output = process.communicate(timeout=20)[0]
        assert "Traceback" not in output, output


def test_doctor_reports_each_check(tmp_path):
    with Workspace(signing_secret="s", bot_token="xoxb-doc") as ws:
        env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-doc", SLACK_SIGNING_SECRET="s", SLACK_API_URL=ws.api_url,
                   TUTOR_DATA_DIR=str(tmp_path))
        ok = subprocess.run([sys.executable, "-m", "bot", "doctor"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        for check in ("configuration", "database", "queue", "course content", "Slack token"):
            assert f"✓ {check}" in ok.stdout
        env["SLACK_BOT_TOKEN"] = "xoxb-wrong"
        bad = subprocess.run([sys.executable, "-m", "bot", "doctor"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        assert bad.returncode != 0 and "✗ Slack token" in bad.stdout and "invalid_auth" in bad.stdout
        assert "Traceback" not in bad.stdout + bad.stderr


def test_db_upgrade_on_postgres(postgres_url, tmp_path):
    env = dict(os.environ, DATABASE_URL=postgres_url, TUTOR_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "up to date" in out.stdout, out.stdout + out.stderr
    assert "postgres@" in out.stdout or "***" in out.stdout or "127.0.0.1" in out.stdout


def test_sandbox_command_serves_the_page_and_a_first_lesson(tmp_path):
    """What the README's demo command runs: the page comes up and `/lesson` typed in it works."""
    port, bot_port = free_port(), free_port()
    env = dict(os.environ, TUTOR_DATA_DIR=str(tmp_path))
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    process = subprocess.Popen([sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--bot-port",
                                str(bot_port), "--no-worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        for line in process.stdout:
            if "open http" in line:
                url = line.split("open ", 1)[1].strip()
                break
        assert url == f"http://127.0.0.1:{port}", url
        assert "<html" in requests.get(url, timeout=5).text.lower()
        requests.post(f"{url}/ui/slash", json={"user": "U0ADA", "command": "/lesson", "text": ""}, timeout=10)
        wait_for(lambda: [m for m in requests.get(f"{url}/ui/messages", params={"channel": "D0ADA"},
                                                  timeout=5).json()["messages"] if "Lesson 1.1" in m.get("text", "")],
                 timeout=10, interval=0.1, message="a lesson in the DM")
    finally:
        process.terminate()
        process.wait(timeout=20)
