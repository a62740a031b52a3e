"""What differs between the two databases the bot runs on, in one place.

The store asks a few questions whose answers depend on the database: which INSERT has ON CONFLICT,
whether several writes can share one statement, whether the whole database has one write lock, how a
transaction keeps every other one out of a critical section, and how a migration alters a table.
`backend_of(session)` answers them. The one other place that tells the two apart is
`db.make_engine`, by the URL, because it builds the engine a dialect belongs to.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import text


def _advisory_lock(session, key: int) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})  # released at commit


def _write_lock(session, _key: int) -> None:
    session.execute(text("BEGIN IMMEDIATE"))  # the database's one write lock, held until commit


@dataclass(frozen=True)
class Backend:
    name: str  # SQLAlchemy's dialect name
    # data-modifying CTEs: several writes and a read in one statement, one round trip to the server
    writes_in_one_statement: bool
    # one write lock for the whole database: a long run of writes has to leave others time to take it
    one_write_lock: bool
    # (session, key): until `session` commits, no other transaction gets past this call for that key
    serialise: Callable
    # ALTER TABLE cannot change a column or a constraint: a migration copies the table (alembic's batch)
    copies_tables_to_alter: bool

    @property
    def insert(self) -> Callable:
        """The dialect's `insert`, the one with ON CONFLICT. Imported when first asked for: the Postgres
        dialect's modules are ~3 MB of RSS that a bot on SQLite never needs."""
        return importlib.import_module(f"sqlalchemy.dialects.{self.name}").insert


BACKENDS = {
    "postgresql": Backend("postgresql", writes_in_one_statement=True, one_write_lock=False,
                          serialise=_advisory_lock, copies_tables_to_alter=False),
    "sqlite": Backend("sqlite", writes_in_one_statement=False, one_write_lock=True,
                      serialise=_write_lock, copies_tables_to_alter=True),
}


def backend_of(session_or_engine) -> Backend:
    """The backend of a Session (its bind) or of an Engine."""
    bind = session_or_engine.get_bind() if hasattr(session_or_engine, "get_bind") else session_or_engine
    return BACKENDS[bind.dialect.name]
