"""Storage on SQLite and Postgres: migrations match the models, and the constraints that prevent
doubled effects hold in the database itself."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc
from bot.store import Database
from bot.store.models import Base, DripDelivery, QuizAnswer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_migrations_create_every_table_and_match_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert not diff, diff


def test_upgrade_is_idempotent(db):
    """Every start runs `upgrade`: on an up-to-date database it changes nothing, keeps every row and
    leaves the schema at head, still matching the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from bot.store.db import alembic_config
    from bot.store.models import User

    with db.session() as session:
        session.add(User(team_id="T1", user_id="U1", tz="Asia/Kolkata", created_at=NOW))
    tables = set(inspect(db.engine).get_table_names())
    db.upgrade()
    db.upgrade()
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        assert not compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert set(inspect(db.engine).get_table_names()) == tables
    with db.session() as session:
        kept = session.get(User, ("T1", "U1"))
        assert kept is not None and kept.tz == "Asia/Kolkata"


def moment(raw) -> datetime:
    """A DateTime column read with raw SQL: SQLite hands back text."""
    return as_utc(datetime.fromisoformat(raw) if isinstance(raw, str) else raw)


def test_upgrade_from_the_first_schema_keeps_the_learners(database_url):
    """A database made by 0001 (the first release) keeps its rows; the new columns are filled so that
    nobody's profile is re-read at once and no old job's results are posted again."""
    from alembic import command

    from bot.store.db import alembic_config

    command.upgrade(alembic_config(database_url), "0001")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO users (team_id, user_id, tz, is_admin, preferences, created_at, "
                                    "last_seen_at) VALUES ('T1', 'U1', 'Asia/Kolkata', false, '{}', :now, :now)"),
                               {"now": NOW})
            connection.execute(text("INSERT INTO finetune_jobs (team_id, user_id, state, request, progress, "
                                    "progress_detail, cancel_requested, created_at, finished_at) VALUES "
                                    "('T1', 'U1', 'succeeded', '{}', 1.0, '{}', false, :now, :now), "
                                    "('T1', 'U1', 'queued', '{}', 0.0, '{}', false, :now, NULL)"), {"now": NOW})
        database.upgrade()
        with database.engine.connect() as connection:
            user = connection.execute(text("SELECT tz, info_at FROM users")).one()
            jobs = connection.execute(text("SELECT state, notified_at FROM finetune_jobs ORDER BY id")).all()
        assert user[0] == "Asia/Kolkata" and moment(user[1]) == NOW
        assert moment(jobs[0][1]) == NOW and jobs[1][1] is None  # the queued one is told when it ends
    finally:
        database.dispose()


def test_first_answer_constraint(db):
    row = dict(team_id="T1", user_id="U1", lesson_id="1.1", question_id="q1", correct=True, answered_at=NOW)
    with db.session() as session:
        session.add(QuizAnswer(choice=0, **row))
    with pytest.raises(IntegrityError):
        with db.session() as session:
            session.add(QuizAnswer(choice=1, **row))


def test_one_drip_delivery_per_local_date(db):
    row = dict(team_id="T1", user_id="U1", local_date="2026-03-02", claimed_at=NOW)
    with db.session() as session:
        session.add(DripDelivery(**row))
    with pytest.raises(IntegrityError):
        with db.session() as session:
            session.add(DripDelivery(**row))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
