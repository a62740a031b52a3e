"""Data loading, column detection, and the pre-training report."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from training.checks import check_file, check_table
from training.data import load_table, usable_examples
from training.errors import DataError

from training_toydata import toy_rows, write_csv

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"


def test_csv_with_quoted_newlines_and_named_columns(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("line one\nline two", "a"), ("plain", "b")],
                     header=("id_message", "category"))
    path.write_text(path.read_text().replace("id_message", "message"))
    table = load_table(path)
    assert table.texts[0] == "line one\nline two"
    assert (table.text_column, table.label_column) == ("message", "category")
    assert table.detected_by == {"text": "name", "label": "name"}


def test_columns_detected_by_content(tmp_path):
    rows = [(f"id{i}", "yes" if i % 2 else "no", f"a long and varied sentence number {i}")
            for i in range(30)]
    table = load_table(write_csv(tmp_path / "d.csv", rows, header=("c1", "c2", "c3")))
    assert (table.text_column, table.label_column) == ("c3", "c2")


def test_explicit_columns_override_and_unknown_column_is_explained(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("x", "hello there", "a")] * 3,
                     header=("text", "body", "queue"))
    table = load_table(path, text_column="body", label_column="queue")
    assert table.texts[0] == "hello there"
    with pytest.raises(DataError) as err:
        load_table(path, label_column="nope")
    assert "`queue`" in err.value.message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings(tmp_path, encoding):
    path = tmp_path / "d.csv"
    path.write_bytes("text,label\ncafé crème,fr\nnaïve,fr\n".encode(encoding))
    table = load_table(path)
    assert table.texts == ["café crème", "naïve"]


def test_tsv_and_jsonl(tmp_path):
    tsv = tmp_path / "d.tsv"
    tsv.write_text("Label\tSMS\nham\thello, how are you\nspam\tWIN cash now\n")
    assert load_table(tsv).labels == ["ham", "spam"]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("\n".join(json.dumps({"sentence": t, "intent": l}) for t, l in
                               [("hi there", "greet"), ("bye now", "leave")]))
    table = load_table(jsonl)
    assert (table.text_column, table.label_column, table.format) == ("sentence", "intent", "jsonl")


@pytest.mark.skipif(not (SHARED / "sms_spam").is_dir(), reason="shared data sets not present")
def test_real_sms_spam_file_is_read_in_place():
    table = load_table(SHARED / "sms_spam" / "SMSSpamCollection.tsv")
    assert (table.text_column, table.label_column) == ("SMS", "Label")
    report = check_table(table)
    assert report.ok and set(report.classes) == {"ham", "spam"}
    assert any(p.code == "duplicates" for p in report.problems)


BAD_FILES = {
    "empty": (b"", "empty_file"),
    "header_only": (b"text,label\n", "header_only"),
    "zip": (b"PK\x03\x04rest-of-zip", "binary_file"),
    "gzip": (gzip.compress(b"text,label\nhi,a\n"), "binary_file"),
    "pdf": (b"%PDF-1.7 ...", "binary_file"),
    "png": (b"\x89PNG\r\n\x1a\n....", "binary_file"),
    "nul_bytes": (b"text,label\nhi\x00there,a\n", "binary_file"),
    "utf16_without_bom": ("text,label\nhi,a\n".encode("utf-16-le"), "binary_file"),
    "one_column": (b"text\nhello\nworld\n", "missing_label_column"),
    "no_label_column": (("text,notes\n" + "\n".join(f"sentence {i},note {i} unique"
                                                     for i in range(20))).encode(),
                        "missing_label_column"),
    "bad_json": (b'{"text": "hi", "label": "a"}\n{oops\n', "bad_json"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_files_are_reported_not_raised(tmp_path, name):
    content, code = BAD_FILES[name]
    path = tmp_path / (name + (".jsonl" if name == "bad_json" else ".csv"))
    path.write_bytes(content)
    report = check_file(path).report
    assert not report.ok
    problem = report.errors[0]
    assert problem.code == code and problem.message and problem.fix


def test_size_cap(tmp_path):
    path = write_csv(tmp_path / "big.csv", toy_rows(40))
    report = check_file(path, max_bytes=100).report
    assert report.errors[0].code == "file_too_large" and "MB" in report.errors[0].message


def _codes(report):
    return {p.code: p.level for p in report.problems}


def test_report_one_class_and_tiny_class(tmp_path):
    one = check_file(write_csv(tmp_path / "one.csv", [(f"t {i}", "a") for i in range(20)])).report
    assert _codes(one)["too_few_classes"] == "error"
    rows = [(f"a text {i}", "big") for i in range(60)] + [(f"b text {i}", "tiny") for i in range(3)]
    report = check_file(write_csv(tmp_path / "tiny.csv", rows)).report
    codes = _codes(report)
    assert codes["class_too_small"] == "error" and codes["imbalanced"] == "warning"
    assert "`tiny` (3)" in report.errors[0].message and not report.ok


def test_report_counts_empty_duplicates_and_overlap(tmp_path):
    rows = toy_rows(12) + [("", "sports"), ("no label here", ""), (toy_rows(12)[0][0], "sports"),
                           (toy_rows(12)[1][0], "food")]
    train = write_csv(tmp_path / "train.csv", rows)
    test = write_csv(tmp_path / "test.csv", toy_rows(12)[:5] + [("fresh text", "food")])
    checked = check_file(train, test_path=test)
    report = checked.report
    codes = _codes(report)
    assert {"empty_texts", "missing_labels", "duplicates", "conflicting_labels",
            "train_test_overlap", "class_small"} <= set(codes)
    assert report.ok and report.rows == 40 and report.usable_rows == 36
    assert report.test_rows == 6
    assert report.classes == {"food": 12, "sports": 12, "weather": 12}
    as_json = json.loads(json.dumps(report.to_dict()))
    assert as_json["ok"] is True and as_json["problems"][0]["fix"]
    texts, labels = usable_examples(checked.table)
    assert len(texts) == len(set(texts)) == 36


def test_long_texts_are_counted(tmp_path):
    rows = [(("word " * 400) + str(i), "a" if i % 2 else "b") for i in range(24)]
    report = check_file(write_csv(tmp_path / "long.csv", rows), max_length=128).report
    assert report.truncated == 24 and _codes(report)["long_texts"] == "warning"


def test_too_many_classes(tmp_path):
    rows = [(f"text {i} {j}", f"label{i}") for i in range(201) for j in range(2)]
    assert _codes(check_file(write_csv(tmp_path / "many.csv", rows)).report)[
        "too_many_classes"] == "error"
