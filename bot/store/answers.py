"""Store a quiz answer, with the review item a wrong first answer opens, and read back the lesson's
answers, in the fewest round trips each backend allows: this runs before every quiz click's ack.

Postgres: one statement (the inserts are data-modifying CTEs), so the caller's transaction makes three
round trips (BEGIN, the statement, COMMIT) where it made five (BEGIN, INSERT, INSERT, SELECT, COMMIT),
each a wait for the server and then for the GIL (issue 14). SQLite: the same three steps as statements
(no round trips to save; `sqlite_writer` queues its writers). Either way it runs in the caller's
session, so the lesson's completion can share the answer's transaction: a crash between them would
leave a lesson with every answer stored and never completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func, literal, select

from bot.store.backends import backend_of
from bot.store.db import insert_once
from bot.store.models import QuizAnswer, ReviewItem


@dataclass(frozen=True)
class StoredAnswer:
    first: bool  # this call stored the answer; False: the question had one already (which stands)
    choice: int  # the stored (first) answer's choice
    correct: bool
    answers: dict[str, bool]  # every answer of the learner's lesson, this one included: question -> correct


def store_answer(session, team_id: str, user_id: str, lesson_id: str, question_id: str, choice: int,
                 correct: bool, now: datetime) -> StoredAnswer:
    """Store the first answer to a question (a later one changes nothing); a wrong first answer also
    gets its review item."""
    if backend_of(session).writes_in_one_statement:
        stored = _in_one_statement(session, team_id, user_id, lesson_id, question_id, choice, correct, now)
    else:
        stored = _as_statements(session, team_id, user_id, lesson_id, question_id, choice, correct, now)
    if stored is None:  # another click stored it after this statement's snapshot: read it now
        stored = _read_back(session, team_id, user_id, lesson_id, question_id)
    return stored


def _lesson_answers(team_id: str, user_id: str, lesson_id: str):
    return (QuizAnswer.team_id == team_id, QuizAnswer.user_id == user_id, QuizAnswer.lesson_id == lesson_id)


def _lesson_rows(session, team_id: str, user_id: str, lesson_id: str) -> list:
    """(question, choice, correct) of every answer the learner's lesson has, as this statement sees them."""
    return session.execute(select(QuizAnswer.question_id, QuizAnswer.choice, QuizAnswer.correct)
                           .where(*_lesson_answers(team_id, user_id, lesson_id))).all()


def _outcome(first: bool, question_id: str, rows, choice: int, correct: bool) -> StoredAnswer | None:
    answers = {q: c for q, _choice, c in rows}
    if first:
        return StoredAnswer(True, choice, correct, {**answers, question_id: correct})
    stored = next(((ch, c) for q, ch, c in rows if q == question_id), None)
    return None if stored is None else StoredAnswer(False, stored[0], stored[1], answers)


def _as_statements(session, team_id, user_id, lesson_id, question_id, choice, correct, now) -> StoredAnswer | None:
    first = insert_once(session, QuizAnswer, team_id=team_id, user_id=user_id, lesson_id=lesson_id,
                        question_id=question_id, choice=choice, correct=correct, answered_at=now)
    if first and not correct:
        insert_once(session, ReviewItem, team_id=team_id, user_id=user_id, lesson_id=lesson_id,
                    question_id=question_id, stage=0, created_at=now)
    rows = _lesson_rows(session, team_id, user_id, lesson_id)
    return _outcome(first, question_id, rows, choice, correct)


def _in_one_statement(session, team_id, user_id, lesson_id, question_id, choice, correct,
                      now) -> StoredAnswer | None:
    insert = backend_of(session).insert  # Postgres's: only its backend writes in one statement
    new_answer = (insert(QuizAnswer).values(team_id=team_id, user_id=user_id, lesson_id=lesson_id,
                                            question_id=question_id, choice=choice, correct=correct,
                                            answered_at=now)
                  .on_conflict_do_nothing().returning(QuizAnswer.id).cte("new_answer"))
    columns = [select(new_answer.c.id).scalar_subquery()]
    if not correct:
        review = select(literal(team_id, String), literal(user_id, String), literal(lesson_id, String),
                        literal(question_id, String), literal(0, Integer),
                        literal(now, DateTime(timezone=True))).where(select(new_answer.c.id).exists())
        new_review = (insert(ReviewItem)
                      .from_select(["team_id", "user_id", "lesson_id", "question_id", "stage", "created_at"], review)
                      .on_conflict_do_nothing().returning(ReviewItem.id).cte("new_review"))
        columns.append(select(func.count()).select_from(new_review).scalar_subquery())  # (so it is rendered)
    # one row even when the lesson has no answers yet: an aggregate; the snapshot is the statement's
    # start, so the rows never include the answer this statement inserts
    statement = select(*columns, func.array_agg(QuizAnswer.question_id), func.array_agg(QuizAnswer.choice),
                       func.array_agg(QuizAnswer.correct)).where(*_lesson_answers(team_id, user_id, lesson_id))
    row = session.execute(statement).one()
    questions, choices, corrects = row[-3:]
    rows = list(zip(questions or [], choices or [], corrects or []))
    return _outcome(row[0] is not None, question_id, rows, choice, correct)


def _read_back(session, team_id, user_id, lesson_id, question_id) -> StoredAnswer:
    rows = _lesson_rows(session, team_id, user_id, lesson_id)
    return _outcome(False, question_id, rows, 0, False)
