"""Ping a pooled Postgres connection only when it has sat idle, not at every checkout.

`pool_pre_ping` costs every session one round trip (`SELECT 1`) before its first statement: on a
quiz click's ack that was one of five, 14% of the time the ack spent (issue 14). A connection
that went back to the pool moments ago is as good as the statement it just ran, so only one that
has been idle `idle_s` or more is pinged; one that fails the ping is replaced before anyone uses it
(SQLAlchemy's pool retries a checkout whose listener raises `DisconnectionError`). A connection that
dies while recently used (a database restart under load) fails its one statement, and SQLAlchemy then
replaces every pooled connection opened before the failure, as it does without pre-ping.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

IDLE_BEFORE_PING_S = 5.0
RETURNED_AT = "returned_at"  # key in the pool's per-connection `info`: monotonic time of the last checkin


def ping_when_idle(engine: Engine, idle_s: float | None = None, clock=time.monotonic) -> None:
    """Install the checkin/checkout listeners on `engine`'s pool (`idle_s`: IDLE_BEFORE_PING_S when None,
    read at each checkout)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[RETURNED_AT] = clock()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        returned = record.info.get(RETURNED_AT)
        if returned is None or clock() - returned < (IDLE_BEFORE_PING_S if idle_s is None else idle_s):
            return  # freshly opened, or back in the pool a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"a pooled connection idle {clock() - returned:.0f} s failed its ping") from error
        if not alive:
            raise DisconnectionError("a pooled connection idle too long failed its ping")
