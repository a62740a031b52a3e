"""Group commit: short write transactions from many threads, committed together by one thread.

SQLite lets one transaction write at a time, and `sqlite_writer` queues the writers on a lock. Under
a burst of quiz clicks every ack took its own turn at that lock: at 50 clients back to back
(`bench.bot`, issue 14) the lock was held 66% of the time, a writer waited 84 ms at the median and
284 ms at p99 to take it, and a holder that lost the GIL mid-transaction (Python hands the GIL to
another thread every 5 ms) kept every other writer waiting: hold p90 10 ms against a median of 1.3.

Here one thread runs those transactions. A caller hands it a unit of work (a function of a session)
and waits; the thread takes every unit that has arrived, runs them one after another in one
transaction, commits once, and only then releases each caller with its result, so a caller that has
its result (an ack about to go out) has a committed write. Nothing waits on purpose: at low load a
group is one unit; under a burst, the units that queued during one commit make the next group.

A unit that raises rolls its whole group back; each unit of that group then runs again alone, in its
own transaction, so one bad unit costs the others only time. A unit must therefore do nothing but
its session's work (its inputs computed before it is handed over), so that running it again is safe.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, TypeVar

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_GROUP = 64  # units in one transaction at most: a long one would hold SQLite's lock from others


class _Unit:
    __slots__ = ("work", "done", "result", "error")

    def __init__(self, work: Callable[[Session], object]):
        self.work, self.done = work, threading.Event()
        self.result: object = None
        self.error: BaseException | None = None


class GroupCommitter:
    """`run(work)` returns `work(session)` once the transaction it ran in has committed."""

    def __init__(self, sessions: sessionmaker, max_group: int = MAX_GROUP):
        self._sessions, self._max_group = sessions, max_group
        self._lock = threading.Lock()  # the thread and its queue change together, under it
        self._thread: threading.Thread | None = None
        self._units: queue.SimpleQueue[_Unit | None] = queue.SimpleQueue()
        self.groups = self.units = 0  # committed so far (for tests and benchmarks)

    def run(self, work: Callable[[Session], T]) -> T:
        unit = _Unit(work)
        with self._lock:
            if threading.current_thread() is self._thread:
                raise RuntimeError("a unit of group commit cannot hand over another: it would wait for itself")
            if self._thread is None:  # first use, or first since stop(): a thread with a queue of its own
                self._units = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._serve, args=(self._units,),
                                                name="group-commit", daemon=True)
                self._thread.start()
            self._units.put(unit)  # under the lock: never behind the end mark stop() puts
        unit.done.wait()
        if unit.error is not None:
            raise unit.error
        return unit.result  # type: ignore[return-value]

    def stop(self) -> None:
        """Let the thread finish the units already handed over, then end it."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._units.put(None)
        if thread is not None:
            thread.join()

    def _serve(self, units: queue.SimpleQueue) -> None:
        while True:
            first = units.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_group:
                try:
                    unit = units.get_nowait()
                except queue.Empty:
                    break
                if unit is None:  # stop after this group
                    units.put(None)
                    break
                group.append(unit)
            try:
                if not self._commit(group) and len(group) > 1:
                    for unit in group:  # one of them failed: each alone, so only it fails
                        self._commit([unit])
            except Exception:  # noqa: BLE001 - closing a session failed: the thread goes on
                log.exception("group commit: closing a session failed")
            finally:  # whatever happened, no caller waits forever
                for unit in group:
                    unit.done.set()

    def _commit(self, group: list[_Unit]) -> bool:
        """Run the group in one transaction; False (every unit's error set) when it rolled back."""
        session = self._sessions()
        try:
            for unit in group:
                unit.result, unit.error = unit.work(session), None
            session.commit()
        except BaseException as error:  # noqa: BLE001 - handed to the callers, never lost
            for unit in group:
                unit.result, unit.error = None, error
            try:
                session.rollback()
            except Exception:  # noqa: BLE001 - the connection is gone; close() below discards it
                pass
            return False
        finally:
            session.close()
        self.groups += 1
        self.units += len(group)
        return True
