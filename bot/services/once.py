"""Apply-once keys for effects Slack may deliver twice (event retries, double clicks on buttons
whose effect is a new message): the first insert of a key wins, later ones are told no."""

from __future__ import annotations

from bot.clock import Clock
from bot.store import Database
from bot.store.db import insert_once
from bot.store.models import ProcessedRequest


class Once:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    def claim(self, key: str) -> bool:
        with self.db.session() as session:
            return insert_once(session, ProcessedRequest, key=key[:200], created_at=self.clock.now())
