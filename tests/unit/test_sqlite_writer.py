"""SQLite writers of one process queue on a lock, not on SQLite's sleeping busy handler (issue 14).

Each test makes SQLite itself refuse to wait (`timeout: 0`): a second writer that reached SQLite while
the first still held the file's write lock would fail with "database is locked", so a test that passes
shows it waited on the process's lock instead, and got the file only once the first was done."""

import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, text

from bot.store.db import make_engine
from bot.store.sqlite_writer import WriterConnection, connection_factory


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/w.db",
                           connect_args={"check_same_thread": False, "timeout": 0,
                                         "factory": connection_factory(lock_wait_s=5)})
    with engine.begin() as connection:
        connection.execute(text("PRAGMA journal_mode=WAL"))
        connection.execute(text("CREATE TABLE answers (id INTEGER PRIMARY KEY, who TEXT UNIQUE)"))
    yield engine
    engine.dispose()


def connection_class(engine):
    with engine.connect() as connection:
        return type(connection.connection.driver_connection)


def writer_lock(engine):
    """The lock the engine's connections share."""
    return connection_class(engine).writer_lock


def rows(engine) -> list[str]:
    with engine.connect() as connection:
        return [r[0] for r in connection.execute(text("SELECT who FROM answers ORDER BY id"))]


def test_the_bots_sqlite_engine_makes_writer_connections(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/bot.db")
    try:
        with engine.connect() as connection:
            assert isinstance(connection.connection.driver_connection, WriterConnection)
    finally:
        engine.dispose()


def test_a_second_writer_waits_for_the_first_to_commit_then_writes(engine):
    second_done, errors = threading.Event(), []

    def second():
        try:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO answers (who) VALUES ('second')"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        second_done.set()

    with engine.begin() as connection:
        connection.execute(text("INSERT INTO answers (who) VALUES ('first')"))
        thread = threading.Thread(target=second)
        thread.start()
        assert not second_done.wait(0.3), "the second writer went on while the first held the write lock"
    thread.join(5)
    assert errors == []  # SQLite would have said "database is locked": it never saw the two at once
    assert rows(engine) == ["first", "second"]
    assert not writer_lock(engine).locked()


def test_readers_do_not_take_the_lock(engine, monkeypatch):
    lock = writer_lock(engine)
    asked = []

    class Spy:  # the real lock, noting who asks for it
        def acquire(self, timeout):
            asked.append(threading.current_thread().name)
            return lock.acquire(timeout=timeout)

        def release(self):
            lock.release()

    monkeypatch.setattr(connection_class(engine), "writer_lock", Spy())
    with engine.begin() as writer:  # holds the real lock; the reader below never asks for it
        writer.execute(text("INSERT INTO answers (who) VALUES ('w')"))
        read = []
        thread = threading.Thread(target=lambda: read.append(rows(engine)), name="reader")
        thread.start()
        thread.join()
        assert read == [[]]  # the last committed state
    assert "reader" not in asked and asked == ["MainThread"]
    assert not lock.locked()


def test_a_failed_write_gives_the_lock_back(engine):
    lock = writer_lock(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO answers (who) VALUES ('a')"))
    with pytest.raises(Exception, match="UNIQUE"):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO answers (who) VALUES ('a')"))
    assert not lock.locked()
    with engine.begin() as connection:  # and the next writer gets it
        connection.execute(text("INSERT INTO answers (who) VALUES ('b')"))
    assert rows(engine) == ["a", "b"]


def test_a_connection_closed_in_a_write_gives_the_lock_back(engine):
    lock = writer_lock(engine)
    connection = engine.raw_connection()
    cursor = connection.cursor()
    cursor.execute("INSERT INTO answers (who) VALUES ('lost')")
    assert lock.locked()
    connection.invalidate()  # closes the DBAPI connection: its transaction is rolled back
    assert not lock.locked()
    assert rows(engine) == []


def test_sqlites_shortcut_execute_takes_the_lock_too(engine):
    lock = writer_lock(engine)
    pooled = engine.raw_connection()
    connection = pooled.driver_connection  # the sqlite3 connection itself
    connection.execute("INSERT INTO answers (who) VALUES ('short')")
    assert lock.locked()
    connection.commit()
    assert not lock.locked()
    pooled.close()  # back to the pool
    assert rows(engine) == ["short"]


def test_a_holder_that_never_lets_go_slows_writers_but_never_hangs_them(tmp_path):
    factory = connection_factory(lock_wait_s=0.2)
    stuck = sqlite3.connect(f"{tmp_path}/s.db", factory=factory, timeout=0, check_same_thread=False)
    stuck.execute("CREATE TABLE t (x)")
    stuck.commit()
    stuck.cursor().execute("INSERT INTO t VALUES (1)")  # holds the lock and SQLite's write lock
    other = sqlite3.connect(f"{tmp_path}/s.db", factory=factory, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):  # SQLite's own answer, after our wait
        other.cursor().execute("INSERT INTO t VALUES (2)")
    other.close()
    assert factory.writer_lock.locked(), "the writer that gave up must not release another's lock"
    stuck.commit()
    assert not factory.writer_lock.locked()
    stuck.close()
