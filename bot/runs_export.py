"""`tutor runs export`: every run as one flat record, for teams that track experiments elsewhere.

Plain functions of job rows (through `bot.runs.run_from_job`): CSV for spreadsheets, JSON lines for
scripts (these also carry the per-class F1 and the validation curve). A text cell that a spreadsheet
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
