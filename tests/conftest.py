"""Shared fixtures: the real services (Postgres, Redis) and a running bot wired to the sandbox."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSTGRES_URL = os.environ.get("TUTOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TUTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("TUTOR_REQUIRE_SERVICES") == "1"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip with a reason when a service is absent; fail instead when CI says it must be there."""
    if _port_open(host, port):
        return
    message = f"{name} is not answering on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and TUTOR_REQUIRE_SERVICES=1")
    pytest.skip(message + " (start it, see README; CI sets TUTOR_REQUIRE_SERVICES=1)")


@pytest.fixture
def postgres_url() -> str:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as connection:  # a clean schema for each test
        connection.execute(sqlalchemy.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Run a storage test on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tutor.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url):
    """A migrated database on each backend (a test module may define its own `db`)."""
    from bot.store import Database

    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@dataclass
class Tutor:
    """A running bot (HTTP, waitress) wired to a running sandbox, for end-to-end tests."""

    ws: object
    runtime: object
    server: object
    clock: object
    settings: object
    tracker: object = None  # tests.helpers.TrackingExecutor on the app's listener executor

    @property
    def services(self):
        return self.runtime.services

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until every listener the bot started so far has finished (to prove something did NOT happen)."""
        self.tracker.wait_idle(timeout)

    def dm(self, user: str) -> list[dict]:
        from tests.helpers import dm

        return dm(self.ws, user, ephemeral=True)


def start_tutor(tmp_path: Path, *, database_url: str | None = None, clock=None, redis_url: str | None = None,
                env: dict | None = None) -> Tutor:
    from bot.clock import MovableClock
    from bot.config import load_settings
    from bot.runtime import BotRuntime, health
    from bot.server import HTTPServer, TutorWSGI
    from sandbox.driver import Workspace

    ws = Workspace(signing_secret="test-secret", bot_token="xoxb-test-token").start()
    settings = load_settings({
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-secret", "SLACK_API_URL": ws.api_url,
        "TUTOR_DATA_DIR": str(tmp_path / "data"), **({"DATABASE_URL": database_url} if database_url else {}),
        **({"REDIS_URL": redis_url} if redis_url else {}), **(env or {})})
    clock = clock or MovableClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))  # a Monday
    runtime = BotRuntime(settings, clock=clock, start_scheduler=False, sends_per_second=200).start()
    from tests.helpers import track_listeners

    tracker = track_listeners(runtime.app)
    server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host="127.0.0.1", port=0).start()
    ws.bot_url = f"{server.url}/slack/events"
    return Tutor(ws, runtime, server, clock, settings, tracker)


def stop_tutor(tutor: Tutor) -> None:
    tutor.server.stop()
    tutor.runtime.stop()
    tutor.ws.stop()


@pytest.fixture
def tutor(tmp_path):
    running = start_tutor(tmp_path)
    yield running
    stop_tutor(running)
