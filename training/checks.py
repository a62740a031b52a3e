"""The data report shown BEFORE any training, modelled on the checks that hosted fine-tuning
services run (OpenAI, Vertex AI): size limits, binary files, empty and duplicate rows, train/test
overlap, tiny or imbalanced classes, over-long texts. Each problem says what to do about it.
Pure Python: the bot may call it for `check=yes` without torch."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.data import MAX_FILE_BYTES, MAX_ROWS, Table, load_table, usable_examples
from training.errors import DataError, OverBudget

MIN_CLASSES, MAX_CLASSES = 2, 200
MIN_PER_CLASS_ERROR = 10
MIN_PER_CLASS_WARNING = 50
IMBALANCE_RATIO = 10
DEFAULT_MAX_LENGTH = 256


@dataclass
class Problem:
    level: str  # "error" | "warning" | "info"
    code: str
    message: str
    fix: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DataReport:
    rows: int = 0
    usable_rows: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    text_column: str | None = None
    label_column: str | None = None
    encoding: str | None = None
    format: str | None = None
    test_rows: int | None = None
    max_length: int | None = None
    truncated: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks training (warnings and info are allowed)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def add(self, level: str, code: str, message: str, fix: str) -> None:
        self.problems.append(Problem(level, code, message, fix))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass
class CheckedData:
    """A report plus the tables it was made from (None when the file could not be read)."""

    report: DataReport
    table: Table | None = None
    test_table: Table | None = None


def check_file(path: str | Path, text_column: str | None = None, label_column: str | None = None,
               test_path: str | Path | None = None, max_bytes: int = MAX_FILE_BYTES,
               max_length: int = DEFAULT_MAX_LENGTH) -> CheckedData:
    """Read and check a data file (and optional test file); never raises for bad data."""
    try:
        table = load_table(path, text_column, label_column, max_bytes)
        test_table = None
        if test_path is not None:
            test_table = load_table(test_path, table.text_column, table.label_column, max_bytes)
    except DataError as exc:
        report = DataReport()
        report.add("error", exc.code, exc.message, _FIX.get(exc.code, "Fix the file and try again."))
        return CheckedData(report)
    return CheckedData(check_table(table, test_table, max_length=max_length), table, test_table)


def check_table(table: Table, test_table: Table | None = None, lengths: list[int] | None = None,
                max_length: int = DEFAULT_MAX_LENGTH) -> DataReport:
    """All row-level checks. `lengths` are token counts per usable text when a tokenizer is at
    hand (the trainer passes them); otherwise they are estimated from words."""
    report = DataReport(rows=len(table), text_column=table.text_column,
                        label_column=table.label_column, encoding=table.encoding,
                        format=table.format, max_length=max_length)
    if table.more_rows or len(table) > MAX_ROWS:
        report.add("error", "too_many_rows", f"The file has more than {MAX_ROWS:,} rows, the "
                   "limit.", "Keep a sample, e.g. a few thousand rows per class.")
    _check_missing(table, report)
    texts, labels = usable_examples(table)
    report.usable_rows = len(texts)
    counts = Counter(labels)
    report.classes = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    _check_duplicates(table, report)
    _check_classes(counts, report)
    if test_table is not None:
        _check_test(texts, labels, test_table, report)
    if lengths is None:
        lengths = [estimate_tokens(t) for t in texts]
    report.truncated = sum(1 for n in lengths if n > max_length)
    if report.truncated:
        share = report.truncated / max(1, len(lengths))
        report.add("warning" if share > 0.1 else "info", "long_texts",
                   f"{report.truncated} text(s) ({share:.0%}) are longer than {max_length} tokens "
                   "and will be cut short.", "Fine if the start of a text says enough; otherwise "
                   "shorten them or split them into several examples.")
    return report


def check_budget(train_rows: int, epochs: int, max_example_epochs: int | None) -> None:
    """Refuse a run whose training rows x epochs pass the operator's budget, before any training."""
    if max_example_epochs and train_rows * epochs > max_example_epochs:
        raise OverBudget("over_budget", f"{train_rows:,} training rows x {epochs} epochs is "
                         f"{train_rows * epochs:,} example passes; the limit here is "
                         f"{max_example_epochs:,}. Use `per_class=` to train on fewer rows, or fewer "
                         "`epochs=`.")


def estimate_tokens(text: str) -> int:
    """About 1.3 word-piece tokens per word plus [CLS] and [SEP]."""
    return math.ceil(len(text.split()) * 1.3) + 2


def _check_missing(table: Table, report: DataReport) -> None:
    empty = sum(1 for t in table.texts if not t)
    no_label = sum(1 for t, lab in zip(table.texts, table.labels) if t and not lab)
    if empty:
        report.add("warning", "empty_texts", f"{empty} row(s) have an empty "
                   f"`{table.text_column}`; they will be skipped.", "Fill them in or remove them.")
    if no_label:
        report.add("warning", "missing_labels", f"{no_label} row(s) have no "
                   f"`{table.label_column}`; they will be skipped.", "Label them or remove them.")


def _check_duplicates(table: Table, report: DataReport) -> None:
    first_label: dict[str, str] = {}
    exact = conflicting = 0
    for text, label in zip(table.texts, table.labels):
        if not text or not label:
            continue
        if text in first_label:
            if first_label[text] == label:
                exact += 1
            else:
                conflicting += 1
        else:
            first_label[text] = label
    if exact:
        report.add("warning", "duplicates", f"{exact} row(s) repeat an earlier text exactly; "
                   "each text is used once.", "Remove the copies so that they cannot end up in "
                   "both the training and the test split.")
    if conflicting:
        report.add("warning", "conflicting_labels", f"{conflicting} text(s) appear again with a "
                   "different label; the first label is kept.", "Decide on one label per text.")


def _check_classes(counts: Counter, report: DataReport) -> None:
    if len(counts) < MIN_CLASSES:
        only = f" (only `{next(iter(counts))}`)" if counts else ""
        report.add("error", "too_few_classes", f"The data has {len(counts)} class(es){only}; a "
                   "classifier needs at least 2.", "Add examples of the other labels.")
        return
    if len(counts) > MAX_CLASSES:
        report.add("error", "too_many_classes", f"The data has {len(counts)} classes; the limit "
                   f"is {MAX_CLASSES}.", "Check that the label column is really the label "
                   "(set `label=`), or merge rare classes.")
        return
    tiny = {c: n for c, n in counts.items() if n < MIN_PER_CLASS_ERROR}
    small = {c: n for c, n in counts.items() if MIN_PER_CLASS_ERROR <= n < MIN_PER_CLASS_WARNING}
    if tiny:
        report.add("error", "class_too_small", "Too few examples for " + _classes(tiny) +
                   f": each class needs at least {MIN_PER_CLASS_ERROR}.",
                   "Add examples to these classes or remove them.")
    if small:
        report.add("warning", "class_small", "Few examples for " + _classes(small) +
                   f"; {MIN_PER_CLASS_WARNING}+ per class gives steadier results.",
                   "Add examples if you can; results on these classes will be noisy.")
    largest, smallest = max(counts.values()), min(counts.values())
    if smallest and largest / smallest > IMBALANCE_RATIO:
        report.add("warning", "imbalanced", f"The classes are imbalanced: the largest has "
                   f"{largest / smallest:.0f}x the examples of the smallest.", "Watch macro-F1 "
                   "rather than accuracy, or add examples to the small classes.")


def _check_test(texts: list[str], labels: list[str], test_table: Table, report: DataReport) -> None:
    test_texts, test_labels = usable_examples(test_table)
    report.test_rows = len(test_texts)
    if not test_texts:
        report.add("error", "empty_test", "The test file has no usable rows.",
                   "Give a test file with the same columns as the training file.")
        return
    overlap = len(set(texts) & set(test_texts))
    if overlap:
        report.add("warning", "train_test_overlap", f"{overlap} text(s) are in both the training "
                   "and the test file; they are left out of training so the test stays fair.",
                   "Remove them from one of the files.")
    unseen = sorted(set(test_labels) - set(labels))
    if unseen:
        report.add("error", "unknown_test_labels", "The test file has labels that training "
                   "never sees: " + ", ".join(f"`{u}`" for u in unseen[:10]) + ".",
                   "Use the same label names in both files.")


def _classes(counts: dict[str, int]) -> str:
    items = sorted(counts.items(), key=lambda kv: kv[1])[:8]
    more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
    return ", ".join(f"`{c}` ({n})" for c, n in items) + more


_FIX = {
    "file_too_large": "Upload a smaller file: keep a sample of rows per class.",
    "empty_file": "Upload a file with a header row (e.g. `text,label`) and one example per row.",
    "header_only": "Add examples below the header, one per row.",
    "binary_file": "Export the data as CSV (UTF-8) from your spreadsheet or tool.",
    "bad_encoding": "Save the file as CSV UTF-8.",
    "bad_csv": "Open it in a spreadsheet and save as CSV UTF-8.",
    "bad_json": 'Write one object per line, e.g. {"text": "...", "label": "..."}.',
    "missing_label_column": "Add a `label` column, or set `label=COLUMN`.",
    "missing_text_column": "Set `text=COLUMN` to the column that holds the text.",
    "same_columns": "Set `text=` and `label=` to two different columns.",
    "file_missing": "Upload the file again.",
    "too_many_columns": "Keep only the text and label columns (and a few others you need).",
    "field_too_long": "Shorten very long texts or split them into several examples; check quotes.",
}
