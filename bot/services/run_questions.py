"""Questions about a learner's own run: asked once after the run succeeds, answered with buttons,
scored apart from lesson quizzes, and a missed one fed into the spaced review.

The questions are stored before they are posted (one row per run and rule: the unique constraint
makes a second announce ask nothing more); the first answer is the one UPDATE that finds `choice`
empty, so a double click or a retry never changes a score.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from bot import runs_views
from bot.clock import Clock
from bot.run_questions import questions_for
from bot.runs import run_from_job
from bot.store import Database
from bot.store.db import insert_once, insert_once_key
from bot.store.models import RUN_REVIEW_PREFIX, ReviewItem, RunQuestion


@dataclass
class RunAnswer:
    first: bool  # False: answered already; nothing changed
    correct: bool
    question: RunQuestion


class RunQuestionService:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    def ask(self, client, job) -> list[RunQuestion]:
        """Store and post the questions about the succeeded `job` in its DM, once: a second call (a
        retried announce) finds the rows there and posts nothing. Returns the rows this call posted."""
        built = questions_for(run_from_job(job))
        if not built or not job.channel:
            return []
        now = self.clock.now()
        created = []
        with self.db.session() as session:
            for question in built:
                key = insert_once_key(session, RunQuestion, team_id=job.team_id, user_id=job.user_id, job_id=job.id,
                                      question_id=question.question_id, prompt=question.prompt,
                                      choices=list(question.choices), answer=question.answer,
                                      explanation=question.explanation, channel=job.channel, created_at=now)
                if key is not None:
                    created.append(key)
        if not created:
            return []
        rows = self.rows(created)
        posted = client.chat_postMessage(channel=job.channel, **runs_views.run_questions_message(job.id, rows,
                                                                                                 job.user_id))
        with self.db.session() as session:
            session.execute(update(RunQuestion).where(RunQuestion.id.in_(created)).values(message_ts=posted["ts"]))
        return rows

    def rows(self, ids: list[int]) -> list[RunQuestion]:
        with self.db.session() as session:
            return list(session.scalars(select(RunQuestion).where(RunQuestion.id.in_(ids)).order_by(RunQuestion.id)))

    def get(self, question_id: int) -> RunQuestion | None:
        with self.db.session() as session:
            return session.get(RunQuestion, question_id)

    def for_review(self, lesson_id: str, question_id: str) -> RunQuestion | None:
        """The run question a review item (`run:<job id>`, rule name) points at."""
        job = lesson_id.removeprefix(RUN_REVIEW_PREFIX)
        if not lesson_id.startswith(RUN_REVIEW_PREFIX) or not job.isdigit():
            return None
        with self.db.session() as session:
            return session.scalars(select(RunQuestion).where(RunQuestion.job_id == int(job),
                                                             RunQuestion.question_id == question_id)).first()

    def answer(self, team_id: str, user_id: str, question_id: int, choice: int) -> RunAnswer | None:
        """Record the first answer of the learner's own question; None when it is not theirs or the
        choice is not one of its choices. A wrong first answer becomes a review item."""
        now = self.clock.now()
        with self.db.session() as session:
            row = session.get(RunQuestion, question_id)
            if row is None or (row.team_id, row.user_id) != (team_id, user_id) or not 0 <= choice < len(row.choices):
                return None
            correct = choice == row.answer
            first = session.execute(
                update(RunQuestion).where(RunQuestion.id == question_id, RunQuestion.choice.is_(None))
                .values(choice=choice, correct=correct, answered_at=now)).rowcount == 1
            if first and not correct:
                insert_once(session, ReviewItem, team_id=team_id, user_id=user_id,
                            lesson_id=f"{RUN_REVIEW_PREFIX}{row.job_id}", question_id=row.question_id, stage=0,
                            created_at=now)
            session.flush()
            session.refresh(row)
            session.expunge(row)
        return RunAnswer(first=first, correct=bool(row.correct), question=row)

    def score(self, team_id: str, user_id: str) -> tuple[int, int]:
        """(answered, right) first answers to questions about the learner's runs."""
        with self.db.session() as session:
            answered, right = session.execute(
                select(func.count(RunQuestion.id), func.coalesce(func.sum(case((RunQuestion.correct, 1), else_=0)), 0))
                .where(RunQuestion.team_id == team_id, RunQuestion.user_id == user_id,
                       RunQuestion.choice.is_not(None))).one()
        return int(answered or 0), int(right or 0)
