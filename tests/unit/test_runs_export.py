"""`tutor runs export`: CSV and JSON lines of the runs, filtered by workspace and learner, with text
cells that a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.clock import MovableClock
from bot.config import load_settings
from bot.runs_export import export, mlflow_uri
from bot.services.jobs import JobService
from bot.store import Database
from tests.unit.test_runs import job


def _jobs(url, tmp_path):
    db = Database(url)
    db.upgrade()
    jobs = JobService(db, MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)),
                      load_settings({"TUTOR_DATA_DIR": str(tmp_path)}))
    made = []
    for team, user, lr in (("T1", "U1", 3e-4), ("T1", "U2", None), ("T2", "U1", None)):
        fake = job(0, lr=lr, f1=0.8, acc=0.9)
        row = jobs.create(team, user, fake.request)
        jobs.transition(row.id, ("validating",), "succeeded", result=fake.result)
        made.append(row.id)
    db.dispose()
    return made


def test_csv_and_jsonl_of_one_workspace_or_one_learner(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    made = _jobs(url, tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["runs", "export", "--format", "csv", "--team", "T1"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [int(r["id"]) for r in rows] == made[:2]
    assert rows[0]["lr"] == "0.0003" and rows[0]["macro_f1"] == "0.8" and rows[0]["data"] == "support_tickets"
    assert float(rows[0]["gap_to_tfidf"]) == 0.8 - 0.7
    out = tmp_path / "runs.jsonl"
    result = CliRunner().invoke(cli, ["runs", "export", "--format", "jsonl", "--team", "T1", "--user", "U2",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [made[1]] and records[0]["user_id"] == "U2"
    assert records[0]["per_class_f1"] == {"billing": 0.9, "account": 0.7}
    assert records[0]["validation_curve"] == [[1.0, 0.6], [2.0, 0.5], [3.0, 0.45]]


def test_a_user_without_a_team_and_an_unknown_format_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'tutor.db'}")
    result = CliRunner().invoke(cli, ["runs", "export", "--user", "U1"])
    assert result.exit_code != 0 and "--user needs --team" in result.output
    result = CliRunner().invoke(cli, ["runs", "export", "--format", "xlsx"])
    assert result.exit_code != 0 and "xlsx" in result.output


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised():
    from types import SimpleNamespace

    hostile = job(5, data="=HYPERLINK(\"http://x\")", f1=0.6, tfidf_f1=0.7)
    row = SimpleNamespace(**vars(hostile), team_id="T1", user_id="@U1", created_at=None)
    text = export([row], "csv")
    record = next(csv.DictReader(io.StringIO(text)))
    assert record["data"] == "'=HYPERLINK(\"http://x\")" and record["user_id"] == "'@U1"
    assert float(record["gap_to_tfidf"]) < 0 and record["gap_to_tfidf"].startswith("-"), "numbers stay numbers"


@pytest.mark.slow
def test_mlflow_export_logs_each_run_once_with_its_settings_and_metrics(tmp_path, monkeypatch):
    """`tutor runs export --mlflow DIR`: an MLflow store that MLflow itself reads back; exporting
    again replaces the runs instead of doubling them."""
    pytest.importorskip("mlflow", reason="the optional `mlflow` extra (scripts/setup installs it)")
    from mlflow.tracking import MlflowClient

    url = f"sqlite:///{tmp_path / 'tutor.db'}"
    made = _jobs(url, tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))
    store = tmp_path / "mlruns"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["runs", "export", "--mlflow", str(store), "--team", "T1"])
        assert result.exit_code == 0, result.output
    client = MlflowClient(tracking_uri=mlflow_uri(store))
    experiment = client.get_experiment_by_name("finetune-tutor T1")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(int(r.data.tags["job_id"]) for r in runs) == made[:2]
    first = next(r for r in runs if int(r.data.tags["job_id"]) == made[0])
    assert first.data.params["lr"] == "0.0003" and first.data.metrics["macro_f1"] == 0.8
    assert first.info.status == "FINISHED"
    assert client.get_experiment_by_name("finetune-tutor T2") is None  # --team T1 only
