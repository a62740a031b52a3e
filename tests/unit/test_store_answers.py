"""`bot.store.answers.store_answer`, what every quiz click's ack writes (issue 14): the first answer
stands, a wrong first answer opens one review item, the lesson's answers come back with it, and a
click that loses the race to another click's row reads that row. SQLite and Postgres (where it is
one statement)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from sqlalchemy import create_engine, func, select

from bot.store.answers import store_answer
from bot.store.models import QuizAnswer, ReviewItem

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def store(db, question: str, choice: int, correct: bool, user: str = "U1"):
    with db.session() as session:
        return store_answer(session, "T1", user, "1.1", question, choice, correct, NOW)


def test_a_first_wrong_answer_is_stored_with_its_review_item(db):
    stored = store(db, "q1", 2, False)
    assert (stored.first, stored.choice, stored.correct) == (True, 2, False)
    assert stored.answers == {"q1": False}
    assert count(db, QuizAnswer) == 1 and count(db, ReviewItem) == 1
    with db.session() as session:
        review = session.scalars(select(ReviewItem)).one()
        assert (review.team_id, review.user_id, review.lesson_id, review.question_id, review.stage) == \
            ("T1", "U1", "1.1", "q1", 0)


def test_a_right_answer_opens_no_review_and_the_lessons_answers_come_back(db):
    store(db, "q1", 2, False)
    store(db, "q1", 0, False, user="U2")  # another learner's answer is not this learner's
    stored = store(db, "q2", 1, True)
    assert stored.first and stored.answers == {"q1": False, "q2": True}
    assert count(db, ReviewItem) == 2


def test_a_second_click_changes_nothing_and_reports_the_first(db):
    store(db, "q1", 2, False)
    again = store(db, "q1", 1, True)  # a double click, a retry, a change of mind
    assert (again.first, again.choice, again.correct) == (False, 2, False)
    assert again.answers == {"q1": False}
    assert count(db, QuizAnswer) == 1 and count(db, ReviewItem) == 1


def test_a_click_that_loses_the_race_reads_the_winners_answer(db, database_url):
    """Another click's transaction holds the same answer uncommitted: this store waits for it, stores
    nothing, and reports the winner's choice (on Postgres its statement's snapshot predates that row)."""
    other = create_engine(database_url)
    results = []
    with other.connect() as connection:
        connection.execute(QuizAnswer.__table__.insert().values(
            team_id="T1", user_id="U1", lesson_id="1.1", question_id="q1", choice=3, correct=True,
            answered_at=NOW))
        loser = threading.Thread(target=lambda: results.append(store(db, "q1", 1, False)))
        loser.start()
        time.sleep(0.5)  # the loser is now waiting for this transaction
        connection.commit()
    loser.join(timeout=30)
    other.dispose()
    assert results, "the losing click never returned"
    assert (results[0].first, results[0].choice, results[0].correct) == (False, 3, True)
    assert count(db, QuizAnswer) == 1 and count(db, ReviewItem) == 0
