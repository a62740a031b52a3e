"""Pooled Postgres connections are pinged only after sitting idle (issue 14): a dead one is replaced
before anyone uses it, a busy one costs no round trip. Both backends for the pool's own behaviour;
the bot's engine on Postgres for a backend that really was terminated."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bot.store import Database, idle_ping
from bot.store.idle_ping import ping_when_idle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pool(database_url, monkeypatch):
    """An engine of one pooled connection, a clock the test moves, and a count of pings."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    clock, pings = Clock(), []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn))
    ping_when_idle(engine, idle_s=5.0, clock=clock)
    yield engine, clock, pings
    engine.dispose()


def raw(connection):
    return connection.connection.dbapi_connection


def test_a_connection_back_a_moment_ago_is_used_without_a_ping(pool):
    engine, clock, pings = pool
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        clock.now += 4.9
    assert pings == [], "a connection used 4.9 s ago was pinged"
    clock.now += 0.2
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert len(pings) == 1, "a connection idle 5.1 s was not pinged"


def test_a_connection_that_died_while_idle_is_replaced_before_use(pool, database_url):
    engine, clock, pings = pool
    with engine.connect() as connection:
        dead = raw(connection)
        if database_url.startswith("postgresql"):
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    if database_url.startswith("postgresql"):  # the server ends it, as a restart or an idle timeout does
        killer = create_engine(database_url)
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
    else:
        dead.close()
    clock.now += 60
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 41 + 1")).scalar() == 42
        assert raw(connection) is not dead
    assert len(pings) == 1


def test_the_bots_postgres_engine_replaces_a_terminated_connection(postgres_url, monkeypatch):
    """`Database` wires the ping in: with no idle time allowed, a connection whose backend was
    terminated while it sat in the pool is replaced at its next checkout, and the session works."""
    monkeypatch.setattr(idle_ping, "IDLE_BEFORE_PING_S", 0.0)
    db = Database(postgres_url)
    try:
        with db.session() as session:
            pid = session.scalar(text("SELECT pg_backend_pid()"))
        killer = create_engine(postgres_url)
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        with db.session() as session:
            assert session.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        db.dispose()
