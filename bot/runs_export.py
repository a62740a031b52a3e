"""`tutor runs export`: every run as one flat record, for teams that track experiments elsewhere.

Plain functions of job rows (through `bot.runs.run_from_job`): CSV for spreadsheets, JSON lines for
scripts (these also carry the per-class F1 and the validation curve), and an MLflow file store. A text cell that a spreadsheet
would read as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`, as OWASP advises for CSV.
"""

from __future__ import annotations

import csv
import io
import json

from bot.clock import as_utc
from bot.runs import run_from_job

COLUMNS = ("id", "team_id", "user_id", "state", "data", "task", "method", "model", "epochs", "lr", "batch_size",
           "accuracy", "macro_f1", "tfidf_macro_f1", "gap_to_tfidf", "seconds", "created_at", "finished_at")
FORMATS = ("csv", "jsonl")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def record(job) -> dict:
    run = run_from_job(job)
    return {
        "id": run.id, "team_id": job.team_id, "user_id": job.user_id, "state": run.state, "data": run.data,
        "task": run.task, "method": run.method, "model": run.request.get("model"),
        "epochs": run.request.get("epochs"), "lr": run.lr, "batch_size": run.request.get("batch_size"),
        "accuracy": run.accuracy, "macro_f1": run.macro_f1, "tfidf_macro_f1": run.tfidf_macro_f1,
        "gap_to_tfidf": run.gap, "seconds": run.seconds,
        "created_at": as_utc(job.created_at).isoformat() if job.created_at else None,
        "finished_at": as_utc(job.finished_at).isoformat() if job.finished_at else None,
        "per_class_f1": run.per_class_f1, "validation_curve": [list(p) for p in run.val_curve],
    }


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA):
        return "'" + text
    return text


def to_csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in records:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return out.getvalue()


def to_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in records)


def export(jobs, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    records = [record(job) for job in jobs]
    return to_csv(records) if fmt == "csv" else to_jsonl(records)


def to_mlflow(records: list[dict], directory) -> int:
    """Log each run into an MLflow store in `directory` (`mlflow.db`, the SQLite backend MLflow 3 defaults
    to; the optional `mlflow` extra): one MLflow
    experiment per workspace, one MLflow run per fine-tune with its settings as params, its metrics, the
    validation curve as a stepped metric and per-class F1 as metrics; re-exporting replaces a run's
    earlier copy (tagged with the job id), so an export can be repeated. Returns the runs logged."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_uri(directory))
    logged = 0
    for row in records:
        name = f"finetune-tutor {row['team_id']}"
        experiment = client.get_experiment_by_name(name)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
        for old in client.search_runs([experiment_id], f"tags.job_id = '{row['id']}'"):
            client.delete_run(old.info.run_id)
        run = client.create_run(experiment_id, run_name=f"#{row['id']} {row['data']} {row['method']}",
                                tags={"job_id": str(row["id"]), "user_id": str(row["user_id"]), "state": row["state"]})
        run_id = run.info.run_id
        for key in ("data", "task", "method", "model", "epochs", "lr", "batch_size"):
            if row.get(key) is not None:
                client.log_param(run_id, key, row[key])
        for key in ("accuracy", "macro_f1", "tfidf_macro_f1", "gap_to_tfidf", "seconds"):
            if isinstance(row.get(key), (int, float)):
                client.log_metric(run_id, key, float(row[key]))
        for label, f1 in (row.get("per_class_f1") or {}).items():
            client.log_metric(run_id, f"f1.{_metric_name(label)}", float(f1))
        for step, (_epoch, loss) in enumerate(row.get("validation_curve") or []):
            client.log_metric(run_id, "eval_loss", float(loss), step=step)
        client.set_terminated(run_id, "FINISHED" if row["state"] == "succeeded" else "FAILED")
        logged += 1
    return logged


def mlflow_uri(directory) -> str:
    """The tracking URI of the store `to_mlflow` writes in `directory` (for `mlflow ui --backend-store-uri`)."""
    from pathlib import Path

    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _metric_name(label: str) -> str:
    """MLflow metric names take letters, digits, `_-./ ` only."""
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in str(label))[:200]
