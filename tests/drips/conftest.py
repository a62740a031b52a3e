"""Fixtures for the drip tests: a running bot whose clock starts where each test needs it."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import MovableClock
from tests.conftest import start_tutor, stop_tutor


@pytest.fixture
def tutor_at(tmp_path):
    """`tutor_at(moment, database_url=None, env=None)` starts a bot and sandbox with the clock at `moment`."""
    started = []

    def start(moment: datetime, *, database_url: str | None = None, env: dict | None = None):
        running = start_tutor(tmp_path / f"bot{len(started)}", database_url=database_url,
                              clock=MovableClock(moment), env=env)
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        stop_tutor(running)
