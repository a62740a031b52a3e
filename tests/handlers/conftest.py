"""The fast lane's fixture: the real Bolt app in this process, the sandbox as Slack (see tests/inprocess.py)."""

from __future__ import annotations

import pytest

from tests.inprocess import start_inprocess, stop_inprocess


@pytest.fixture
def tutor_inproc(tmp_path):
    running = start_inprocess(tmp_path)
    yield running
    stop_inprocess(running)
