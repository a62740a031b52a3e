"""Hostile files: memory follows the file's bytes, reading stops at the row cap, and columns,
JSON keys and value sizes are capped with a message saying what to fix (issue 13, item 2)."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from training import data
from training.checks import check_file
from training.data import load_table

from hostile_files import HOSTILE


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused_without_rows_times_columns_memory(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(HOSTILE[name]())
    tracemalloc.start()
    try:
        report = check_file(path).report
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.code for p in report.errors] == ["too_many_columns"]
    assert "columns" in report.errors[0].fix
    assert peak < 40 * path.stat().st_size, f"peak {peak:,} bytes for a {path.stat().st_size:,}-byte file"


def test_reading_stops_at_the_row_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_ROWS", 50)
    path = tmp_path / "long.csv"
    path.write_text("text,label\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(500)))
    table = load_table(path)
    assert len(table) == 50 and table.more_rows
    report = check_file(path).report
    assert "too_many_rows" in [p.code for p in report.errors]


def test_rows_shorter_or_longer_than_the_header_are_read(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("text,label,extra\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(20))
                    + "long row,a,x,y,z\n")
    table = load_table(path)
    assert len(table) == 21 and table.texts[-1] == "long row" and table.labels[-1] == "a"


@pytest.mark.parametrize("name, body", [
    ("long.jsonl", json.dumps({"text": "x" * (data.MAX_FIELD_CHARS + 1), "label": "a"}) + "\n"),
    ("long.csv", "text,label\n\"" + "x" * (data.MAX_FIELD_CHARS + 1) + "\",a\n"),
])
def test_huge_values_are_refused(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(body)
    report = check_file(path).report
    assert [p.code for p in report.errors] == ["field_too_long"]
    assert f"{data.MAX_FIELD_CHARS:,}" in report.errors[0].message


def test_deeply_nested_json_is_bad_json_not_a_crash(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": ' + "[" * 100_000 + "]" * 100_000 + ', "label": "a"}\n')
    assert [p.code for p in check_file(path).report.errors] == ["bad_json"]
