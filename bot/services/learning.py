"""Progress through the course: pages, first answers, completion, streaks, reviews, team statistics.

Doubled effects are prevented by the database: the first answer is the one row the unique constraint
lets in, and a lesson is completed by the one upsert that finds `completed_at` still empty
(`ON CONFLICT DO UPDATE … WHERE completed_at IS NULL`), in the same transaction as its last answer (and
again on any later click, so it never stays unfinished).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select, update

from bot.clock import Clock, as_utc
from bot.store import Database
from bot.store.answers import store_answer
from bot.store.backends import backend_of
from bot.store.db import insert_once
from bot.store.models import (RUN_REVIEW_PREFIX, FinetuneJob, LessonProgress, QuizAnswer, ReviewAnswer, ReviewItem,
                              User)

REVIEW_DELAYS = {1: timedelta(days=3), 2: timedelta(days=7)}  # after the first review: 3, then 7 days


@dataclass
class AnswerOutcome:
    first: bool  # False: this question had an answer already (double click, retry); nothing changed
    correct: bool
    choice: int  # the stored (first) choice
    completed: bool = False  # this answer completed the lesson
    score: int | None = None
    questions: int | None = None


@dataclass
class SyllabusEntry:
    lesson_id: str
    title: str
    module: str
    state: str  # done | current | open
    score: int | None = None
    questions: int | None = None


@dataclass
class ProgressSummary:
    done: int
    total: int
    answered: int
    correct: int
    streak: int
    next_lesson_id: str | None
    runs: list[dict] = field(default_factory=list)
    run_answered: int = 0  # questions about the learner's own runs, scored apart
    run_correct: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class ReviewQuestion:
    """A question a review asks again: a lesson's quiz question (Markdown, `markdown` True) or one about
    the learner's own run (plain text)."""

    source: str  # "From lesson 1.1" | "From your run #12"
    prompt: str
    choices: list[str]
    answer: int
    explanation: str
    markdown: bool


@dataclass
class DueReview:
    review_id: int
    lesson_id: str
    question_id: str
    stage: int
    question: ReviewQuestion | None = None


@dataclass
class TeamStats:
    learners_active: int
    learners_total: int
    funnel: list[tuple[str, str, int, int]]  # lesson id, title, started, completed
    hardest: list[tuple[str, str, int, int]]  # lesson id, question id, wrong, answered


class LearningService:
    def __init__(self, db: Database, clock: Clock, course, users, run_questions):
        """`run_questions` (a RunQuestionService) gives the questions about runs that reviews ask again."""
        self.db, self.clock, self.course, self.users = db, clock, course, users
        self.run_questions = run_questions

    # --- where the learner is -------------------------------------------------------------
    def progress_rows(self, team_id: str, user_id: str) -> dict[str, LessonProgress]:
        with self.db.session() as session:
            rows = session.scalars(
                select(LessonProgress).where(LessonProgress.team_id == team_id, LessonProgress.user_id == user_id)
            ).all()
            return {row.lesson_id: row for row in rows}

    def next_lesson_id(self, team_id: str, user_id: str) -> str | None:
        """Continue the most recently started unfinished lesson, else the first not completed."""
        rows = self.progress_rows(team_id, user_id)
        unfinished = [r for r in rows.values() if r.completed_at is None and self.course.has(r.lesson_id)]
        if unfinished:
            return max(unfinished, key=lambda r: as_utc(r.started_at)).lesson_id
        for lesson in self.course.lessons:
            row = rows.get(lesson.id)
            if row is None or row.completed_at is None:
                return lesson.id
        return None

    def start(self, team_id: str, user_id: str, lesson_id: str) -> LessonProgress:
        """Record that the learner opened the lesson (idempotent); returns the row."""
        with self.db.session() as session:
            key = (team_id, user_id, lesson_id)
            row = session.get(LessonProgress, key)
            if row is None:
                insert_once(session, LessonProgress, team_id=team_id, user_id=user_id, lesson_id=lesson_id, page=0,
                            started_at=self.clock.now())
                row = session.get(LessonProgress, key)  # this call's row, or the one a racing click made
            session.expunge(row)
            return row

    def reach_page(self, team_id: str, user_id: str, lesson_id: str, page: int) -> bool:
        """Move the bookmark forward; False when this page was reached already (a retried click)."""
        self.start(team_id, user_id, lesson_id)
        with self.db.session() as session:
            result = session.execute(
                update(LessonProgress)
                .where(LessonProgress.team_id == team_id, LessonProgress.user_id == user_id,
                       LessonProgress.lesson_id == lesson_id, LessonProgress.page < page)
                .values(page=page)
            )
            return result.rowcount == 1

    # --- quiz --------------------------------------------------------------------------------
    def answer(self, team_id: str, user_id: str, lesson_id: str, question_id: str, choice: int) -> AnswerOutcome:
        """Record the answer and complete the lesson when it was the last one (both steps)."""
        outcome = self.record_answer(team_id, user_id, lesson_id, question_id, choice)
        return self.settle(team_id, user_id, lesson_id, outcome)

    def record_answer(self, team_id: str, user_id: str, lesson_id: str, question_id: str,
                      choice: int) -> AnswerOutcome:
        """Store the first answer in one short transaction (`bot.store.answers`: one statement on
        Postgres; on SQLite, committed together with the other answers waiting, `Database.write`), so
        it can be written before Slack is acknowledged: an acknowledged answer is never lost, even if
        the process dies right after. When every question of the lesson then has its answer, the same
        transaction completes the lesson, and so does every later click: a lesson can never stay
        unfinished with all its answers stored."""
        lesson = self.course.lesson(lesson_id)
        question = next(q for q in lesson.quiz if q.id == question_id)
        correct = question.choices[choice] == question.answer
        now = self.clock.now()

        def store(session) -> AnswerOutcome:  # may run twice (bot/store/group_commit.py): session work only
            stored = store_answer(session, team_id, user_id, lesson_id, question_id, choice, correct, now)
            outcome = AnswerOutcome(first=stored.first, correct=stored.correct, choice=stored.choice)
            if all_answered(lesson, stored.answers):
                self._complete(session, team_id, user_id, lesson_id, outcome, sum(stored.answers.values()), now)
            return outcome

        return self.db.write(store)

    def settle(self, team_id: str, user_id: str, lesson_id: str, outcome: AnswerOutcome) -> AnswerOutcome:
        """After an answer's transaction: complete the lesson (once) when every question has its answer.
        A second chance for answers committed side by side (neither transaction saw the other's row).
        One transaction, its writes last: it runs after every quiz click (issue 14)."""
        now = self.clock.now()
        with self.db.session() as session:
            started = session.get(LessonProgress, (team_id, user_id, lesson_id)) is not None
            self._complete_if_answered(session, team_id, user_id, lesson_id, outcome, now)
            if not started and outcome.score is None:  # not complete yet (when complete, that made the row)
                insert_once(session, LessonProgress, team_id=team_id, user_id=user_id, lesson_id=lesson_id,
                            page=0, started_at=now)
        return outcome

    def _local_day(self, team_id: str, user_id: str, now, session=None) -> str:
        return now.astimezone(self.users.zone_of(team_id, user_id, session)).date().isoformat()

    def _complete_if_answered(self, session, team_id: str, user_id: str, lesson_id: str, outcome: AnswerOutcome,
                              now) -> None:
        """In `session`: when every question of the lesson has an answer, complete it (`_complete`)."""
        answers = session.execute(select(QuizAnswer.question_id, QuizAnswer.correct).where(
            QuizAnswer.team_id == team_id, QuizAnswer.user_id == user_id, QuizAnswer.lesson_id == lesson_id)).all()
        if all_answered(self.course.lesson(lesson_id), (question for question, _ in answers)):
            self._complete(session, team_id, user_id, lesson_id, outcome, sum(1 for _, ok in answers if ok), now)

    def _complete(self, session, team_id: str, user_id: str, lesson_id: str, outcome: AnswerOutcome, score: int,
                  now) -> None:
        """In `session`, one statement: the progress row (made if need be) gets `completed_at` if it has
        none yet. `outcome.completed` says whether this call (or an earlier step of the same click)
        completed it; a lesson is completed once, whoever gets there first."""
        questions = len(self.course.lesson(lesson_id).quiz)
        outcome.score, outcome.questions = score, questions
        done = dict(completed_at=now, completed_local_date=self._local_day(team_id, user_id, now, session),
                    score=score, questions=questions)
        statement = (backend_of(session).insert(LessonProgress)
                     .values(team_id=team_id, user_id=user_id, lesson_id=lesson_id, page=0, started_at=now, **done)
                     .on_conflict_do_update(index_elements=["team_id", "user_id", "lesson_id"], set_=done,
                                            where=LessonProgress.completed_at.is_(None))
                     .returning(LessonProgress.lesson_id))
        completed = session.execute(statement).first() is not None
        outcome.completed = outcome.completed or completed

    def answers(self, team_id: str, user_id: str, lesson_id: str) -> dict[str, QuizAnswer]:
        with self.db.session() as session:
            rows = session.scalars(select(QuizAnswer).where(
                QuizAnswer.team_id == team_id, QuizAnswer.user_id == user_id, QuizAnswer.lesson_id == lesson_id)).all()
            return {row.question_id: row for row in rows}

    # --- reviews (spaced repetition) ---------------------------------------------------------------
    def due_reviews(self, team_id: str, user_id: str, just_completed: str | None = None, limit: int = 3) -> list[DueReview]:
        """Missed questions due now: new ones from other lessons after a completed lesson, then by date."""
        now = self.clock.now()
        with self.db.session() as session:
            rows = session.scalars(select(ReviewItem).where(
                ReviewItem.team_id == team_id, ReviewItem.user_id == user_id,
                ReviewItem.resolved_at.is_(None)).order_by(ReviewItem.id)).all()
        due = []
        for row in rows:
            question = self.review_question(row.lesson_id, row.question_id)
            if question is None:
                continue
            if row.stage == 0:
                ready = just_completed is not None and row.lesson_id != just_completed
            else:
                ready = row.due_at is not None and as_utc(row.due_at) <= now
            if ready:
                due.append(DueReview(row.id, row.lesson_id, row.question_id, row.stage, question))
        return due[:limit]

    def review_item(self, review_id: int) -> ReviewItem | None:
        with self.db.session() as session:
            return session.get(ReviewItem, review_id)

    def review_question(self, lesson_id: str, question_id: str) -> ReviewQuestion | None:
        """The question a review item asks again: a lesson's (while the course has it) or a run's."""
        if lesson_id.startswith(RUN_REVIEW_PREFIX):
            row = self.run_questions.for_review(lesson_id, question_id)
            if row is None:
                return None
            return ReviewQuestion(f"From your run #{row.job_id}", row.prompt, list(row.choices), row.answer,
                                  row.explanation, markdown=False)
        if not self.course.has(lesson_id):
            return None
        lesson = self.course.lesson(lesson_id)
        question = next((q for q in lesson.quiz if q.id == question_id), None)
        if question is None or question.answer not in question.choices:
            return None
        return ReviewQuestion(f"From lesson {lesson.id}", question.prompt, list(question.choices),
                              question.choices.index(question.answer), question.explanation, markdown=True)

    def answer_review(self, review_id: int, stage: int, choice: int) -> tuple[bool, bool]:
        """Record a review answer once per stage; returns (first, correct)."""
        item = self.review_item(review_id)
        question = self.review_question(item.lesson_id, item.question_id)
        correct = choice == question.answer
        now = self.clock.now()
        with self.db.session() as session:
            if not insert_once(session, ReviewAnswer, review_id=review_id, stage=stage, choice=choice,
                               correct=correct, answered_at=now):
                return False, correct  # this stage was answered already (a double click): nothing moves
            row = session.get(ReviewItem, review_id)
            if correct:
                row.resolved_at = now
            else:
                row.stage = stage + 1
                row.due_at = now + REVIEW_DELAYS.get(stage + 1, timedelta(days=7))
        return True, correct

    # --- summaries ----------------------------------------------------------------------------
    def syllabus(self, team_id: str, user_id: str) -> list[SyllabusEntry]:
        rows = self.progress_rows(team_id, user_id)
        current = self.next_lesson_id(team_id, user_id)
        entries = []
        for lesson in self.course.lessons:
            row = rows.get(lesson.id)
            if row is not None and row.completed_at is not None:
                entries.append(SyllabusEntry(lesson.id, lesson.title, lesson.module, "done", row.score, row.questions))
            else:
                state = "current" if lesson.id == current else "open"
                entries.append(SyllabusEntry(lesson.id, lesson.title, lesson.module, state))
        return entries

    def summary(self, team_id: str, user_id: str) -> ProgressSummary:
        rows = self.progress_rows(team_id, user_id)
        done_days = sorted({r.completed_local_date for r in rows.values() if r.completed_local_date}, reverse=True)
        today = self.clock.now().astimezone(self.users.zone_of(team_id, user_id)).date()
        with self.db.session() as session:
            answered, correct = session.execute(
                select(func.count(QuizAnswer.id), func.coalesce(func.sum(case((QuizAnswer.correct, 1), else_=0)), 0))
                .where(QuizAnswer.team_id == team_id, QuizAnswer.user_id == user_id)).one()
            jobs = session.scalars(select(FinetuneJob).where(
                FinetuneJob.team_id == team_id, FinetuneJob.user_id == user_id)
                .order_by(FinetuneJob.id.desc()).limit(5)).all()
        runs = [{"id": j.id, "state": j.state, "data": (j.request or {}).get("data"),
                 "method": (j.request or {}).get("method"),
                 "accuracy": ((j.result or {}).get("metrics") or {}).get("accuracy")} for j in jobs]
        done = sum(1 for lesson in self.course.lessons
                   if rows.get(lesson.id) is not None and rows[lesson.id].completed_at is not None)
        run_answered, run_correct = self.run_questions.score(team_id, user_id)
        return ProgressSummary(done=done, total=len(self.course.lessons), answered=int(answered or 0),
                               correct=int(correct or 0), streak=streak(done_days, today),
                               next_lesson_id=self.next_lesson_id(team_id, user_id), runs=runs,
                               run_answered=run_answered, run_correct=run_correct)

    def team_stats(self, team_id: str, active_days: int = 30) -> TeamStats:
        since = self.clock.now() - timedelta(days=active_days)
        with self.db.session() as session:
            progress = session.scalars(select(LessonProgress).where(LessonProgress.team_id == team_id)).all()
            total = session.scalar(select(func.count()).select_from(User).where(User.team_id == team_id)) or 0
            missed = session.execute(
                select(QuizAnswer.lesson_id, QuizAnswer.question_id,
                       func.sum(case((QuizAnswer.correct, 0), else_=1)),
                       func.count(QuizAnswer.id))
                .where(QuizAnswer.team_id == team_id)
                .group_by(QuizAnswer.lesson_id, QuizAnswer.question_id)).all()
        active = {p.user_id for p in progress
                  if as_utc(p.started_at) >= since or (p.completed_at and as_utc(p.completed_at) >= since)}
        funnel = []
        for lesson in self.course.lessons:
            started = sum(1 for p in progress if p.lesson_id == lesson.id)
            completed = sum(1 for p in progress if p.lesson_id == lesson.id and p.completed_at is not None)
            funnel.append((lesson.id, lesson.title, started, completed))
        hardest = sorted(((l, q, int(w or 0), int(n)) for l, q, w, n in missed if (w or 0) > 0),
                         key=lambda row: (-row[2] / row[3], -row[2], row[0], row[1]))[:5]
        return TeamStats(learners_active=len(active), learners_total=int(total), funnel=funnel, hardest=hardest)

    def team_csv(self, team_id: str) -> str:
        """One row per learner and lesson: what an admin exports to a spreadsheet."""
        with self.db.session() as session:
            rows = session.scalars(select(LessonProgress).where(LessonProgress.team_id == team_id)
                                   .order_by(LessonProgress.user_id, LessonProgress.lesson_id)).all()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["user_id", "lesson_id", "started_at", "completed_at", "score", "questions"])
        for row in rows:
            writer.writerow([row.user_id, row.lesson_id, as_utc(row.started_at).isoformat(),
                             as_utc(row.completed_at).isoformat() if row.completed_at else "",
                             "" if row.score is None else row.score, "" if row.questions is None else row.questions])
        return out.getvalue()


def all_answered(lesson, question_ids) -> bool:
    """Every question of the lesson has its answer (the one rule the ack and the settling share)."""
    return len(set(question_ids)) >= len(lesson.quiz)


def streak(done_days_desc: list[str], today: date) -> int:
    """Days in a row with a completed lesson, ending today or yesterday (a streak survives until tonight)."""
    days = {date.fromisoformat(d) for d in done_days_desc}
    cursor = today if today in days else today - timedelta(days=1)
    count = 0
    while cursor in days:
        count += 1
        cursor -= timedelta(days=1)
    return count
