"""Engine and sessions: one code path for SQLite (WAL, foreign keys on) and Postgres."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.store.backends import Backend, backend_of
from bot.store.group_commit import GroupCommitter
from bot.store.idle_ping import ping_when_idle
from bot.store.sqlite_writer import connection_factory

# Connections kept open: one for each thread of the bot that may hold a session at once (16 request
# threads, 8 after-ack workers, the notice pool, the runtime's ticks). Past the pool, SQLAlchemy opens a
# connection for one session and closes it after (a new SQLite connection runs its pragmas; a new
# Postgres one is a TCP connect and a login): under load that cost landed on the acks.
POOL_SIZE, POOL_OVERFLOW = 32, 16
SQLITE_BUSY_TIMEOUT_S = 10  # how long a writer waits for another process's write lock before failing
T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S,
                        "factory": connection_factory(SQLITE_BUSY_TIMEOUT_S)}  # writers queue on a lock
        engine = create_engine(url, connect_args=connect_args,
                               pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # last in, first out: the busiest few connections stay warm, the rest sit idle and are pinged
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_use_lifo=True)
    ping_when_idle(engine)
    return engine


class Database:
    """Owns the engine; `session()` is a unit of work that commits or rolls back as a whole, and
    `write(work)` a short one that may share its transaction with others (group commit)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._group = GroupCommitter(self._sessions) if self.backend.one_write_lock else None

    @property
    def backend(self) -> Backend:
        return backend_of(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def write(self, work: Callable[[Session], T]) -> T:
        """`work(session)`, returned once its transaction has committed. Where the database has one
        write lock (SQLite), the transaction is shared with the other writes waiting for it
        (`group_commit`), so `work` must do nothing but its session's work; elsewhere it is a session
        of its own."""
        if self._group is None:
            with self.session() as session:
                return work(session)
        return self._group.run(work)

    def open_pool(self, connections: int = POOL_SIZE) -> int:
        """Open the pool's connections now, all at once, and return how many are pooled. For a process
        that serves traffic for its life (`tutor run`): otherwise the pool grows during the first busy
        seconds, one connection at each new high of concurrent sessions, and on Postgres each is a TCP
        connect and a login (15-35 ms under load) that landed on whichever ack needed it (issue 14)."""
        held = []
        try:
            for _ in range(connections):
                held.append(self.engine.connect())
        finally:
            for connection in held:
                connection.close()
        return self.engine.pool.checkedin()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        if self._group is not None:
            self._group.stop()
        self.engine.dispose()


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def insert_once_key(session, model, **values):
    """INSERT … ON CONFLICT DO NOTHING RETURNING the primary key: the new row's key, or None when a
    unique constraint already held one (a retry, a double click, another replica). No exception,
    no rollback, so it can share a transaction with other writes."""
    insert = backend_of(session).insert
    key = list(model.__table__.primary_key.columns)[0]
    # RETURNING, not rowcount: some drivers report -1 for INSERT … ON CONFLICT
    return session.execute(insert(model).values(**values).on_conflict_do_nothing().returning(key)).scalar()


def insert_once(session, model, **values) -> bool:
    """True when this call inserted the row, False when it was there already (see insert_once_key)."""
    return insert_once_key(session, model, **values) is not None
