"""A lesson whose every question is answered is completed, even when the process died between
storing the last answer and settling it (issue 13, item 3). SQLite and Postgres."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.services.course import CourseService
from bot.services.learning import LearningService
from bot.services.run_questions import RunQuestionService
from bot.services.users import UserService
from bot.store import Database
from bot.store.db import insert_once
from bot.store.models import LessonProgress, QuizAnswer


@pytest.fixture
def learning(database_url):
    db = Database(database_url)
    db.upgrade()
    clock = MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    yield LearningService(db, clock, CourseService(), UserService(db, clock), RunQuestionService(db, clock))
    db.dispose()


def first_lesson(learning):
    return learning.course.lessons[0].id, [q.id for q in learning.course.lessons[0].quiz]


def completed(learning, lesson_id) -> bool:
    with learning.db.session() as session:
        row = session.get(LessonProgress, ("T1", "U1", lesson_id))
        return row is not None and row.completed_at is not None


def test_the_last_answer_completes_the_lesson_in_its_own_transaction(learning):
    """The handler stores the answer, acks, then settles: a crash before settling loses nothing."""
    lesson_id, questions = first_lesson(learning)
    learning.start("T1", "U1", lesson_id)
    for question in questions:
        outcome = learning.record_answer("T1", "U1", lesson_id, question, 0)  # and then the process dies
    assert outcome.completed and outcome.score is not None and outcome.questions == len(questions)
    assert completed(learning, lesson_id)
    assert learning.next_lesson_id("T1", "U1") != lesson_id
    again = learning.settle("T1", "U1", lesson_id, outcome)
    assert again.completed, "settling after the transaction keeps what the transaction did"


def test_a_lesson_left_unfinished_is_settled_by_the_next_click(learning):
    """Answers stored by a process that died before completing (before this fix, or a database
    failure): any later click on one of its questions completes it."""
    lesson_id, questions = first_lesson(learning)
    learning.start("T1", "U1", lesson_id)
    now = learning.clock.now()
    with learning.db.session() as session:
        for question in questions:
            insert_once(session, QuizAnswer, team_id="T1", user_id="U1", lesson_id=lesson_id,
                        question_id=question, choice=0, correct=False, answered_at=now)
    assert learning.next_lesson_id("T1", "U1") == lesson_id
    outcome = learning.record_answer("T1", "U1", lesson_id, questions[-1], 1)  # a retried click
    assert not outcome.first and outcome.completed and outcome.score == 0
    assert completed(learning, lesson_id)
    assert learning.next_lesson_id("T1", "U1") != lesson_id
    with learning.db.session() as session:
        assert len(session.scalars(select(QuizAnswer)).all()) == len(questions)


def test_an_answer_to_a_lesson_never_opened_starts_it(learning):
    """A quiz button in an old message, or a lesson shared by a teammate: settling the first answer
    records the lesson as started (and not completed), so /lesson continues it."""
    lesson_id, questions = first_lesson(learning)
    second = learning.course.lessons[1].id
    outcome = learning.record_answer("T1", "U1", second, learning.course.lessons[1].quiz[0].id, 0)
    learning.settle("T1", "U1", second, outcome)
    with learning.db.session() as session:
        row = session.get(LessonProgress, ("T1", "U1", second))
        assert row is not None and row.started_at is not None and row.completed_at is None
    assert learning.next_lesson_id("T1", "U1") == second, "the lesson answered in is the one to continue"
    assert lesson_id != second


def test_a_lesson_is_completed_once(learning):
    """A retried click on a completed lesson, or its settling, completes nothing again: the first
    completion's time and score stand and no second "lesson complete" message is due."""
    from datetime import timedelta

    lesson_id, questions = first_lesson(learning)
    for question in questions:
        outcome = learning.record_answer("T1", "U1", lesson_id, question, 0)
    assert outcome.completed
    with learning.db.session() as session:
        first_time = session.get(LessonProgress, ("T1", "U1", lesson_id)).completed_at
    learning.clock.advance(timedelta(hours=1))
    retry = learning.record_answer("T1", "U1", lesson_id, questions[0], 1)
    assert not retry.first and not retry.completed
    assert not learning.settle("T1", "U1", lesson_id, retry).completed
    with learning.db.session() as session:
        assert session.get(LessonProgress, ("T1", "U1", lesson_id)).completed_at == first_time
