"""Tables, keyed by Slack team and user (see DESIGN.md, "Data model").

Uniqueness that protects against doubled effects lives here as constraints, not only in code:
one first answer per question, one drip delivery per user per local date.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    """A learner: the time zone Slack reports and their preferences."""

    __tablename__ = "users"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    info_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # Slack profile last read


class LessonProgress(Base):
    """Where a learner is in one lesson: the page reached, and completion with its score."""

    __tablename__ = "lesson_progress"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    page: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_local_date: Mapped[str | None] = mapped_column(String(10))
    score: Mapped[int | None] = mapped_column(Integer)
    questions: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_progress_completed", "team_id", "completed_at"),)


class QuizAnswer(Base):
    """The first answer to a question is the score: the unique constraint makes a second one fail."""

    __tablename__ = "quiz_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    lesson_id: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str] = mapped_column(String(64))
    choice: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "lesson_id", "question_id", name="uq_quiz_first_answer"),
        Index("ix_quiz_team_question", "team_id", "lesson_id", "question_id"),
    )


class ReviewItem(Base):
    """A missed question that comes back (spaced repetition) until answered right."""

    __tablename__ = "review_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    lesson_id: Mapped[str] = mapped_column(String(16))
    question_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "lesson_id", "question_id", name="uq_review_item"),
        Index("ix_review_due", "team_id", "user_id", "resolved_at"),
    )


class ReviewAnswer(Base):
    """Answers given in reviews, kept apart from first-answer scores."""

    __tablename__ = "review_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    stage: Mapped[int] = mapped_column(Integer)
    choice: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("review_id", "stage", name="uq_review_answer_stage"),)


class DripSubscription(Base):
    """Daily lessons: the local time chosen, and `next_due_at` (UTC) that the tick's indexed query reads."""

    __tablename__ = "drip_subscriptions"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    local_time: Mapped[str] = mapped_column(String(5), default="09:00")
    weekdays_only: Mapped[bool] = mapped_column(Boolean, default=False)
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    ignored_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_drip_due", "next_due_at"),)


class DripDelivery(Base):
    """One row per user per local date: inserting it is the claim that prevents double sends."""

    __tablename__ = "drip_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[str] = mapped_column(String(10))
    lesson_id: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="claimed")  # claimed|sent|failed|skipped
    error: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    opened: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # entered sending/verifying
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "local_date", name="uq_drip_delivery_day"),
        Index("ix_drip_delivery_status", "status"),
    )


class FinetuneJob(Base):
    """A fine-tune request: validating → queued → running → succeeded | failed | cancelled."""

    __tablename__ = "finetune_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="validating")
    request: Mapped[dict] = mapped_column(JSON, default=dict)
    data_path: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_detail: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    model_dir: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # owner told the outcome

    __table_args__ = (
        Index("ix_jobs_owner", "team_id", "user_id", "state"),
        Index("ix_jobs_state", "state"),
    )


class ProcessedRequest(Base):
    """Idempotency keys of Slack deliveries already applied (retries and double clicks)."""

    __tablename__ = "processed_requests"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


FINAL_JOB_STATES = ("succeeded", "failed", "cancelled")
ACTIVE_JOB_STATES = ("validating", "queued", "running")


class TutorQuestion(Base):
    """A question asked to the tutor, its answer's citations, the learner's 👍/👎, and, for one the
    course does not cover, its way to the admins and back."""

    __tablename__ = "tutor_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))  # the thread the answer is in
    answer_ts: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    in_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    citations: Mapped[list] = mapped_column(JSON, default=list)
    feedback: Mapped[str | None] = mapped_column(String(8))  # up | down
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admin_channel: Mapped[str | None] = mapped_column(String(32))
    admin_ts: Mapped[str | None] = mapped_column(String(32))  # the post the admins answer under
    admin_answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_tutor_questions_team", "team_id", "created_at"),
        Index("ix_tutor_questions_admin_post", "admin_channel", "admin_ts"),
    )


class RunQuestion(Base):
    """A quiz question about a learner's own finished run (built by `bot.run_questions`), and its first
    answer: scored apart from lesson quizzes. A missed one becomes a review item whose `lesson_id` is
    `run:<job id>` and whose `question_id` is this row's `question_id`."""

    __tablename__ = "run_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[str] = mapped_column(Text)
    choices: Mapped[list] = mapped_column(JSON, default=list)
    answer: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    choice: Mapped[int | None] = mapped_column(Integer)  # the first answer; set once
    correct: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("job_id", "question_id", name="uq_run_question"),
        Index("ix_run_questions_owner", "team_id", "user_id"),
    )


RUN_REVIEW_PREFIX = "run:"  # review_items.lesson_id of a run question: "run:<job id>"


class Challenge(Base):
    """A team challenge on one sample data set: the bot keeps a hidden test split (its rows live only in
    `hidden_path`, on the data disk bot and workers share); every run on that data while it is open is
    scored on it. `baselines` are the majority and TF-IDF scores on the hidden split (set by a worker)."""

    __tablename__ = "challenges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(16))  # macro_f1 | accuracy
    daily_limit: Mapped[int] = mapped_column(Integer, default=3)
    train_path: Mapped[str] = mapped_column(Text)  # the data minus the hidden rows: what learners train on
    hidden_path: Mapped[str] = mapped_column(Text)
    hidden_count: Mapped[int] = mapped_column(Integer, default=0)
    baselines: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_challenges_team", "team_id", "ends_at"),)


class ChallengeEntry(Base):
    """A run during a challenge: scored on the hidden split, or refused for scoring with its reason."""

    __tablename__ = "challenge_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[str] = mapped_column(String(10))  # the learner's day, for the daily limit
    status: Mapped[str] = mapped_column(String(16))  # entered | scored | refused | failed
    reason: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("challenge_id", "job_id", name="uq_challenge_entry"),
        Index("ix_challenge_entries_board", "challenge_id", "status"),
    )


class ChallengePost(Base):
    """A post to the announce channel (start, each week, end): the row is the claim that makes it once."""

    __tablename__ = "challenge_posts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # start | week-<n> | end
    channel: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("challenge_id", "kind", name="uq_challenge_post"),)
