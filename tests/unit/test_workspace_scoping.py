"""Admin rights and "Try it" are tied to a workspace (issue 13, item 9)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot import worker
from bot.clock import MovableClock
from bot.config import ConfigError, load_settings
from bot.services.jobs import JobService
from bot.services.users import UserService
from bot.store import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'tutor.db'}")
    database.upgrade()
    yield database
    database.dispose()


CLOCK = MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))


def test_admins_listed_for_a_workspace_are_admins_there_only(db):
    settings = load_settings({"TUTOR_ADMINS": "T0AAA:U0ADA,U0BEA;T0BBB:U0BOB;U0OPS"})
    users = UserService(db, CLOCK, settings.admins)
    assert users.is_admin("T0AAA", "U0ADA") and users.is_admin("T0AAA", "U0BEA")
    assert not users.is_admin("T0BBB", "U0ADA"), "a user id listed for one workspace is nobody elsewhere"
    assert users.is_admin("T0BBB", "U0BOB") and not users.is_admin("T0AAA", "U0BOB")
    assert users.is_admin("T0AAA", "U0OPS") and users.is_admin("T0ZZZ", "U0OPS"), "bare ids: every workspace"


def test_the_old_format_still_means_every_workspace(db):
    users = UserService(db, CLOCK, load_settings({"TUTOR_ADMINS": "U0ADA, U0BEA"}).admins)
    assert users.is_admin("T0AAA", "U0ADA") and users.is_admin("T0BBB", "U0BEA")


@pytest.mark.parametrize("value", ["alice", "T0AAA:bob", "team:U0ADA", "T0AAA:U0ADA;x"])
def test_bad_admin_entries_name_the_variable(value):
    with pytest.raises(ConfigError) as raised:
        load_settings({"TUTOR_ADMINS": value})
    assert "TUTOR_ADMINS" in str(raised.value) and "\n" not in str(raised.value)


class _Client:
    def __init__(self):
        self.views = []

    def views_update(self, view_id, view):
        self.views.append(view)


class _Clients:
    def __init__(self):
        self.client = _Client()

    def for_team(self, team_id):
        return self.client


def test_try_it_checks_the_jobs_workspace_not_only_its_user(db, tmp_path, monkeypatch):
    settings = load_settings({"TUTOR_DATA_DIR": str(tmp_path)})
    jobs = JobService(db, CLOCK, settings)
    clients = _Clients()
    from bot.services.finetune_data import DataResolver
    from bot.composition import build_challenges
    from bot.services.job_messages import JobMessages
    from bot.services.run_questions import RunQuestionService

    runner = worker.Worker(settings=settings, jobs=jobs, clients=clients,
                           messages=JobMessages(jobs, clients, RunQuestionService(db, CLOCK)),
                           resolver=DataResolver({}, tmp_path),
                           challenges=build_challenges(settings, db, CLOCK, {}))
    import training.predict

    monkeypatch.setattr(training.predict, "predict", lambda model_dir, text: {"label": "billing", "score": 0.9,
                                                                           "scores": []})
    job = jobs.create("T0AAA", "U0LIN", {})
    jobs.transition(job.id, ("validating",), "succeeded", model_dir=str(tmp_path))
    runner.run_prediction(job.id, "U0LIN", "hello", "V1", team_id="T0BBB")  # the same user id, another workspace
    runner.run_prediction(job.id, "U0LIN", "hello", "V1", team_id="T0AAA")
    refused, shown = (str(view) for view in clients.client.views)
    assert "not available" in refused and "billing" not in refused
    assert "billing" in shown
