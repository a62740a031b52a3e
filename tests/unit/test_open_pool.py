"""A bot process opens its database pool before traffic arrives (issue 14): on Postgres each new
connection is a connect and a login, 15-35 ms under load, that otherwise fell on an ack."""

from __future__ import annotations

import gc

from sqlalchemy import event, text

from bot.runtime import BotRuntime
from bot.store import Database
from bot.store.db import POOL_SIZE


def test_open_pool_opens_the_connections_the_sessions_then_use(database_url):
    db = Database(database_url)
    opened = []
    event.listen(db.engine, "connect", lambda *_: opened.append(1))
    try:
        assert db.open_pool(6) == 6 and len(opened) == 6
        for _ in range(3):
            with db.session() as session:
                assert session.scalar(text("SELECT 1")) == 1
        assert len(opened) == 6, "a session opened a connection of its own"
    finally:
        db.dispose()


def test_a_bot_prepared_for_traffic_has_its_pool_open(tutor):
    runtime = BotRuntime(tutor.settings, clock=tutor.clock, start_scheduler=False).start()
    try:
        runtime.prepare_for_traffic().join(60)
        assert runtime.services.db.engine.pool.checkedin() == POOL_SIZE
        assert gc.get_freeze_count() > 10_000, "and what the start built is frozen, as before"
    finally:
        gc.unfreeze()
        runtime.stop()
