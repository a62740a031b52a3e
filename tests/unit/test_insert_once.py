"""`insert_once` tells the first insert from a duplicate on both backends (the apply-once primitive)."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.store import Database
from bot.store.db import insert_once
from bot.store.models import ProcessedRequest, QuizAnswer


def test_first_insert_wins_and_duplicates_are_told_apart(database_url):
    db = Database(database_url)
    db.upgrade()
    now = datetime.now(timezone.utc)
    answer = dict(team_id="T", user_id="U", lesson_id="1.1", question_id="q", choice=0, correct=True, answered_at=now)
    with db.session() as session:
        assert insert_once(session, ProcessedRequest, key="k", created_at=now) is True
        assert insert_once(session, QuizAnswer, **answer) is True
    with db.session() as session:
        assert insert_once(session, ProcessedRequest, key="k", created_at=now) is False
        assert insert_once(session, QuizAnswer, **dict(answer, choice=1)) is False
    db.dispose()
