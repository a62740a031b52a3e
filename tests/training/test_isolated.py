"""The bot's data check runs in a child with memory and CPU limits (issue 13, item 2)."""

from __future__ import annotations

from pathlib import Path

from training.checks import check_file
from training.isolated import check_file_isolated

from hostile_files import wide_csv

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "datasets" / "support_tickets.csv"


def test_the_child_gives_the_same_report():
    assert check_file_isolated(SAMPLE) == check_file(SAMPLE).report.to_dict()


def test_hostile_file_in_the_child(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(wide_csv())
    report = check_file_isolated(path)
    assert not report["ok"] and [p["code"] for p in report["problems"]] == ["too_many_columns"]


def test_a_child_killed_by_its_limits_is_an_error_report(tmp_path):
    report = check_file_isolated(SAMPLE, memory_bytes=4 * 2**20)  # too little to start Python
    assert not report["ok"] and report["problems"][0]["code"] == "check_too_costly"
    assert "4 MB" in report["problems"][0]["message"] and report["problems"][0]["fix"]
