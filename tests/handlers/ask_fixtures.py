"""Shared by the tutor's handler tests: an in-process bot whose admin is Ada, and a thread's replies."""

from __future__ import annotations

import pytest

from tests.helpers import ADA
from tests.inprocess import start_inprocess, stop_inprocess


@pytest.fixture
def tutor_inproc(tmp_path):
    running = start_inprocess(tmp_path, env={"TUTOR_ADMINS": ADA})
    yield running
    stop_inprocess(running)


def thread_replies(ws, channel: str, thread_ts: str) -> list[dict]:
    return [m for m in ws.messages(channel) if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]
