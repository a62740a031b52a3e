"""Fixtures for the reliability suite: a bot on each storage backend, and helpers that count what was stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.store.models import Base
from tests.conftest import start_tutor, stop_tutor
from tests.helpers import text_of

ADA, LIN = "U0ADA", "U0LIN"  # Ada is a workspace admin in the sandbox; Lin is not
TOKEN, SECRET = "xoxb-test-token", "test-secret"


def pytest_collection_modifyitems(config, items):
    """Everything in tests/reliability carries the `reliability` marker (`-m reliability` runs the suite)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(params=["sqlite", "postgres"])
def backend_tutor(request, tmp_path):
    """A running bot on SQLite, then on Postgres + Redis (skipped when those services are absent)."""
    if request.param == "sqlite":
        running = start_tutor(tmp_path)
    else:
        running = start_tutor(tmp_path, database_url=request.getfixturevalue("postgres_url"),
                              redis_url=request.getfixturevalue("redis_url"))
    yield running
    stop_tutor(running)


def stored_rows(tutor) -> dict[str, int]:
    """Row counts of every product table except the apply-once keys, which may record refusals' ids."""
    counts = {}
    with tutor.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = session.scalar(select(func.count()).select_from(table))
    return counts


def web_api_calls(tutor) -> list[dict]:
    return tutor.ws.journal(kind="api")


def all_bot_text(tutor) -> str:
    """Everything the bot posted, updated or answered, ephemeral messages and responses included."""
    parts = [text_of(m) for m in tutor.ws.messages(include_ephemeral=True)]
    parts += [json.dumps(e.get("args", {}), ensure_ascii=False) for e in tutor.ws.journal(kind="api")]
    parts += [json.dumps(e, ensure_ascii=False, default=str) for e in tutor.ws.journal()
              if e.get("kind") not in ("api", "delivery")]
    return "\n".join(parts)


def spawn_bot(data_dir, ws, database_url: str, *extra: str):
    """The bot as a child process (`bot_process`), pointed at `ws`; returns the Popen once it listens."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    log = open(Path(data_dir) / "bot-stderr.log", "a")  # kept with the test's files, for a failure's story
    process = subprocess.Popen([sys.executable, "-m", "tests.reliability.bot_process", str(data_dir), ws.api_url,
                                database_url, *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    line = process.stdout.readline()
    assert line.startswith("PORT "), line
    ws.bot_url = f"http://127.0.0.1:{line.split()[1]}/slack/events"
    return process
