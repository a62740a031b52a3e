"""The walking skeleton end to end: signed requests over real HTTP, answers in the sandbox journal."""

from __future__ import annotations

import subprocess
import sys
import time

import requests


def test_lesson_help_round_trip(tutor):
    delivery = tutor.ws.slash("U0ADA", "/lesson", "help")
    assert delivery.status == 200
    assert delivery.latency < 3
    replies = tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages("C0GENERAL") if "/lesson 2.1" in m.get("text", "") + str(m.get("blocks"))])
    assert replies, tutor.ws.journal()


def test_wrong_signature_is_refused(tutor):
    delivery = tutor.ws.slash("U0ADA", "/lesson", "help", signing_secret="not-the-secret")
    assert delivery.status == 401
    assert not tutor.ws.messages("C0GENERAL")


def test_stale_timestamp_is_refused(tutor):
    delivery = tutor.ws.slash("U0ADA", "/lesson", "help", timestamp=int(time.time()) - 6 * 60)
    assert delivery.status == 401


def test_health_endpoint(tutor):
    response = requests.get(f"{tutor.server.url}/healthz", timeout=5)
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_oversized_body_is_refused(tutor):
    response = requests.post(f"{tutor.server.url}/slack/events", data=b"x" * (1024 * 1024 + 10), timeout=10)
    assert response.status_code in (400, 413)


def test_bot_process_never_imports_torch(tmp_path):
    """Start the bot as `tutor run --http` would, serve a command, and look at sys.modules."""
    code = f"""
import sys, pathlib
sys.path.insert(0, {str(tmp_path)!r})
from tests.conftest import start_tutor, stop_tutor
tutor = start_tutor(pathlib.Path({str(tmp_path)!r}))
tutor.ws.slash("U0ADA", "/lesson", "")
tutor.ws.wait_for(lambda: tutor.dm("U0ADA"))
heavy = [m for m in ("torch", "transformers", "datasets", "peft", "sklearn") if m in sys.modules]
stop_tutor(tutor)
print("HEAVY", heavy)
"""
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
