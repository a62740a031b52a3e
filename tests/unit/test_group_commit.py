"""Group commit (`Database.write` on SQLite): many threads' short writes share transactions, each
caller gets its own result only once its write has committed, and a unit that fails fails alone."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from bot.store import Database
from bot.store.db import insert_once
from bot.store.models import ProcessedRequest

NOW = datetime(2026, 12, 4, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'tutor.db'}")
    database.upgrade()
    yield database
    database.dispose()


def _insert(key: str, result=None):
    def unit(session):
        insert_once(session, ProcessedRequest, key=key, created_at=NOW)
        return key if result is None else result
    return unit


def _keys(db) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(ProcessedRequest.key)))


def _slow_commits(db, seconds: float) -> None:
    event.listen(db.engine, "commit", lambda _connection: time.sleep(seconds))


def test_writes_from_many_threads_share_transactions_and_each_caller_gets_its_result(db):
    _slow_commits(db, 0.02)  # writes arriving during a commit wait for the next group
    results: dict[int, str] = {}

    def caller(i: int) -> None:
        results[i] = db.write(_insert(f"k{i}", result=f"r{i}"))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"r{i}" for i in range(20)}
    assert _keys(db) == {f"k{i}" for i in range(20)}
    assert db._group.units == 20 and db._group.groups < 20


def test_a_caller_has_its_result_only_once_its_write_is_committed(db, tmp_path):
    _slow_commits(db, 0.2)  # a release before the commit would return inside this sleep
    db.write(_insert("mine"))
    other = sqlite3.connect(tmp_path / "tutor.db")  # another connection sees committed rows only
    try:
        assert other.execute("SELECT key FROM processed_requests").fetchall() == [("mine",)]
    finally:
        other.close()


def test_a_unit_that_fails_fails_alone_and_the_rest_of_its_group_is_committed(db):
    gate, entered = threading.Event(), threading.Event()

    def held(session):  # keeps the committer busy until the next group has queued up
        entered.set()
        gate.wait(5)
        return "held"

    def broken(session):
        insert_once(session, ProcessedRequest, key="broken", created_at=NOW)
        raise ValueError("this unit is broken")

    outcomes: dict[str, object] = {}

    def caller(name, unit) -> None:
        try:
            outcomes[name] = db.write(unit)
        except ValueError as error:
            outcomes[name] = error

    first = threading.Thread(target=caller, args=("held", held))
    first.start()
    assert entered.wait(5)  # the committer is inside `held`: what comes next waits for another group
    units = {"a": _insert("a"), "broken": broken, "b": _insert("b"), "c": _insert("c")}
    threads = [threading.Thread(target=caller, args=item) for item in units.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while db._group._units.qsize() < len(units) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert db._group._units.qsize() == len(units)  # one group: queued while the committer was held
    gate.set()
    for thread in [first, *threads]:
        thread.join()
    assert isinstance(outcomes.pop("broken"), ValueError)
    assert outcomes == {"held": "held", "a": "a", "b": "b", "c": "c"}
    assert _keys(db) == {"a", "b", "c"}  # the broken unit's insert went back with it


def test_a_unit_cannot_hand_over_another_unit(db):
    with pytest.raises(RuntimeError, match="wait for itself"):
        db.write(lambda session: db.write(_insert("inner")))
    assert _keys(db) == set()


def test_writes_after_dispose_start_a_new_committer(tmp_path):
    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    db = Database(url)
    db.upgrade()
    db.write(_insert("before"))
    db.dispose()
    assert db.write(_insert("after")) == "after"
    assert _keys(db) == {"before", "after"}
    db.dispose()


def test_postgres_writes_each_in_a_session_of_its_own(postgres_url):
    db = Database(postgres_url)
    db.upgrade()
    try:
        key = f"group-commit-{time.time_ns()}"
        assert db._group is None  # no single write lock to queue on: nothing to group
        assert db.write(_insert(key)) == key
        assert key in _keys(db)
    finally:
        db.dispose()
