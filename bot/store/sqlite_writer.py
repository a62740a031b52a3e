"""One SQLite writer at a time in this process, queued on a lock instead of SQLite's busy handler.

SQLite lets one transaction write at a time. A second writer that finds the file locked is put to
sleep by SQLite's busy handler in growing steps (1, 2, 5, 10, 15, 20, 25 ms and on to 100 ms), then
tries again: under load a quiz click's one insert waited up to 340 ms for a lock that had long been
free (`bench.load`, issue 14). Here every connection of the bot's engine takes one process-wide lock
before its transaction's first write and gives it back at commit or rollback, so the next writer wakes
the moment the last one is done. Writers in other processes (the training worker) still meet at
SQLite's own lock and its busy timeout, which stays the backstop.

Python's sqlite3 (legacy transaction control) opens a transaction implicitly before INSERT, UPDATE,
DELETE and REPLACE; the same statements take the lock here, and nothing else does.
"""

from __future__ import annotations

import re
import sqlite3
import threading

_OPENS_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class WriterCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection.before_statement(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after_statement()

    def executemany(self, sql, seq_of_parameters, /):
        self.connection.before_statement(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after_statement()


class WriterConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its engine's `writer_lock` while its write transaction is open.
    A writer that waits longer than `lock_wait_s` goes on without it and meets SQLite's own busy
    timeout, so a stuck holder slows writers but never hangs them."""

    writer_lock: threading.Lock  # both set on the subclass `connection_factory` makes
    lock_wait_s: float

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._holding = False

    def cursor(self, factory=WriterCursor):
        return super().cursor(factory)

    # sqlite3's shortcuts run their statement in C, past the cursor's `execute`: route them through it
    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def before_statement(self, sql: str) -> None:
        if not self._holding and not self.in_transaction and _OPENS_WRITE.match(sql):
            self._holding = self.writer_lock.acquire(timeout=self.lock_wait_s)

    def after_statement(self) -> None:
        if self._holding and not self.in_transaction:  # autocommit, or the statement failed
            self._release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._holding and not self._in_transaction():
            self._holding = False
            self.writer_lock.release()

    def _in_transaction(self) -> bool:
        try:
            return self.in_transaction
        except sqlite3.ProgrammingError:  # closed
            return False


def connection_factory(lock_wait_s: float) -> type[WriterConnection]:
    """A connection class whose instances share one new writer lock (one per engine)."""
    return type("EngineWriterConnection", (WriterConnection,),
                {"writer_lock": threading.Lock(), "lock_wait_s": lock_wait_s})
