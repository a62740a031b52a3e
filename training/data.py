"""Read labelled text from CSV, TSV or JSONL, whatever the encoding, and find which column
is the text and which the label. Pure Python (csv, json), streamed with hard caps on rows, columns, keys and value sizes, so a
hostile file costs memory in proportion to its bytes, never to rows x columns.
Problems that make a file unreadable raise `DataError`; softer ones are for `checks.py`."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from training.errors import DataError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000  # rows past this are not read: the check says the file is too long
MAX_COLUMNS = 100  # columns of a CSV, or distinct keys over a whole JSONL file
MAX_FIELD_CHARS = 131_072  # one value (the csv module's own default limit)
SAMPLE_ROWS = 5_000  # rows whose every column is kept, to find the text and label columns
MAX_HUB_BYTES = 2 * 10**9  # download size of a hub data set, from its metadata, checked before loading
DEFAULT_HUB_DATASETS = ("dair-ai/emotion", "SetFit/sst2", "SetFit/emotion", "stanfordnlp/imdb",
                        "fancyzhx/ag_news")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
TEXT_NAMES = ("text", "sentence", "sentences", "message", "msg", "sms", "body", "review",
              "question", "content", "comment", "utterance", "query", "description", "document",
              "tweet", "input", "prompt", "title")
LABEL_NAMES = ("label", "labels", "category", "class", "intent", "target", "sentiment", "topic",
               "tag", "queue", "y", "output", "type")
# Magic bytes of files that are certainly not text tables.
_MAGIC = {b"PK\x03\x04": "a ZIP archive (or an .xlsx/.docx file)", b"\x1f\x8b": "a gzip archive",
          b"%PDF": "a PDF", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
          b"GIF8": "a GIF image", b"7z\xbc\xaf": "a 7-Zip archive", b"Rar!": "a RAR archive",
          b"BZh": "a bzip2 archive", b"\xd0\xcf\x11\xe0": "an old Office file (.xls/.doc)",
          b"PAR1": "a Parquet file", b"SQLite format 3": "an SQLite database",
          b"\x7fELF": "a program"}


@dataclass
class Table:
    """Rows of (text, label) as read, before any cleaning; empty strings mark missing values."""

    texts: list[str]
    labels: list[str]
    text_column: str
    label_column: str
    columns: list[str]
    encoding: str
    format: str
    detected_by: dict = field(default_factory=dict)
    more_rows: bool = False  # the file went on past MAX_ROWS; those rows were not read

    def __len__(self) -> int:
        return len(self.texts)


def read_text(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[str, str]:
    """File contents as text and the encoding used. Refuses binary files and oversize ones."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise DataError("file_missing", "The data file could not be found or opened.") from None
    if size > max_bytes:
        raise DataError("file_too_large", f"The file is {size / 1e6:.1f} MB; the limit is "
                        f"{max_bytes / 1e6:.0f} MB. Use fewer rows (e.g. a sample per class).")
    raw = path.read_bytes()
    return decode(raw)


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes: BOMs first (UTF-8, UTF-16), then strict UTF-8, then cp1252, then latin-1."""
    if not raw.strip():
        raise DataError("empty_file", "The file is empty: it needs a header row and examples.")
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise DataError("binary_file", f"This looks like {what}, not a text table. Save it "
                            "as CSV (UTF-8) with a text column and a label column.")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise DataError("bad_encoding", "The file says it is UTF-16 but cannot be read as "
                            "such. Save it again as CSV UTF-8.") from None
    if b"\x00" in raw[:65536]:
        raise DataError("binary_file", "The file contains NUL bytes: it is binary or UTF-16 "
                        "without a byte-order mark. Save it as CSV (UTF-8).")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def sniff_format(text: str, suffix: str = "") -> str:
    """"jsonl", "tsv" or "csv": from the file suffix, else from the first line."""
    suffix = suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".tsv":
        return "tsv"
    if suffix == ".csv":
        return "csv"
    first = next((line for line in io.StringIO(text) if line.strip()), "")
    if first.lstrip().startswith(("{", "[")):
        return "jsonl"
    return "tsv" if "\t" in first and first.count("\t") >= first.count(",") else "csv"


def stream_rows(text: str, fmt: str) -> tuple[list[str], Iterator[list[str]]]:
    """Header and a lazy iterator of rows. Rows are never padded to the header's width (a short row
    reads as empty cells, see `cell`) and never kept past it, so memory follows the file's size, not
    rows x columns. Raises DataError past MAX_COLUMNS columns (or JSON keys) or MAX_FIELD_CHARS."""
    if fmt == "jsonl":
        return _jsonl_rows(text)
    delimiter = "\t" if fmt == "tsv" else _csv_delimiter(text)
    rows = _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = next(rows, None)
    if header is None:
        raise DataError("empty_file", "The file has no rows.")
    _check_width(len(header), "columns")
    header = [h.strip() for h in header]
    width = len(header)
    return header, (_check_fields(row[:width], number) for number, row in enumerate(rows, start=2))


def parse_rows(text: str, fmt: str) -> tuple[list[str], list[list[str]]]:
    """Header and every row (small files and tests; `load_table` streams instead)."""
    header, rows = stream_rows(text, fmt)
    return header, [list(row) + [""] * (len(header) - len(row)) for row in rows]


def cell(row: list[str], index: int) -> str:
    """The row's value in column `index`; "" where the row is shorter than the header."""
    return row[index] if index < len(row) else ""


def _csv_rows(reader) -> Iterator[list[str]]:
    try:
        for row in reader:
            if any(value.strip() for value in row):
                yield row
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise _field_too_long(reader.line_num) from None
        raise DataError("bad_csv", f"The CSV cannot be parsed ({exc}). Check for an unclosed "
                        "quote, or save it again from a spreadsheet as CSV UTF-8.") from None


def _check_width(width: int, what: str) -> None:
    if width > MAX_COLUMNS:
        raise DataError("too_many_columns", f"The file has more than {MAX_COLUMNS:,} {what}; a data "
                        "file needs a text column, a label column and perhaps a few others.")


def _check_fields(row: list[str], number: int) -> list[str]:
    if any(len(value) > MAX_FIELD_CHARS for value in row):
        raise _field_too_long(number)
    return row


def _field_too_long(number: int) -> DataError:
    return DataError("field_too_long", f"Row {number} has a value longer than {MAX_FIELD_CHARS:,} "
                     "characters (or an unclosed quote that runs on).")


def _csv_delimiter(text: str) -> str:
    """Comma unless the header clearly uses ; or | (spreadsheets in many locales)."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    counts = {d: first.count(d) for d in (",", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _jsonl_rows(text: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header is every key of the first SAMPLE_ROWS objects, in order of appearance; distinct
    keys are counted (and capped) over the whole file."""
    records = _json_records(text)
    keys: dict[str, None] = {}
    sample = list(itertools.islice(_noting_keys(records, keys), SAMPLE_ROWS))
    if not sample:
        raise DataError("bad_json", 'Each JSON line must be an object such as '
                        '`{"text": "...", "label": "..."}`.')
    header = list(keys)
    rest = _noting_keys(records, keys)
    return header, (_check_fields(["" if r.get(k) is None else str(r.get(k)) for k in header], number)
                    for number, r in enumerate(itertools.chain(sample, rest), start=1))


def _noting_keys(records: Iterator[dict], keys: dict[str, None]) -> Iterator[dict]:
    for record in records:
        for key in record:
            if key not in keys:
                keys[key] = None
                _check_width(len(keys), "different keys")
        yield record


def _json_records(text: str) -> Iterator[dict]:
    """Objects one per line, or one JSON array of objects."""
    stripped = text.strip()
    try:
        if stripped.startswith("["):
            records = json.loads(stripped)
            lines = enumerate(records if isinstance(records, list) else [records], start=1)
        else:
            lines = ((n, json.loads(line)) for n, line in enumerate(io.StringIO(stripped), start=1)
                     if line.strip())
        for number, record in lines:
            if not isinstance(record, dict):
                raise DataError("bad_json", f"Line {number} is not an object: each JSON line must "
                                'be an object such as `{"text": "...", "label": "..."}`.')
            yield record
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"Line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "A line"
        raise DataError("bad_json", f"{where}: not valid JSON. Each line must be one object such "
                        'as `{"text": "...", "label": "..."}`.') from None


def detect_columns(header: list[str], rows: list[list[str]], text_column: str | None = None,
                   label_column: str | None = None) -> tuple[int, int, dict]:
    """Indices of the text and label columns: the user's choice, else by name, else by content
    (label: few distinct short values; text: the longest, most varied strings)."""
    lowered = [h.lower() for h in header]
    how = {}

    def pick(wanted: str | None, names: tuple[str, ...], role: str) -> int | None:
        if wanted is not None:
            if wanted in header:
                how[role] = "given"
                return header.index(wanted)
            if wanted.lower() in lowered:
                how[role] = "given"
                return lowered.index(wanted.lower())
            raise DataError(f"missing_{role}_column", f"There is no column `{wanted}`. The "
                            f"columns are: {_names(header)}. Set `{role}=` to one of them.")
        for name in names:
            if name in lowered:
                how[role] = "name"
                return lowered.index(name)
        return None

    if len(header) < 2:
        raise DataError("missing_label_column", f"Only one column was found ({_names(header)}): "
                        "the file needs a text column and a label column, separated by commas.")
    text_idx = pick(text_column, TEXT_NAMES, "text")
    label_idx = pick(label_column, LABEL_NAMES, "label")
    if label_idx is not None and label_idx == text_idx:
        raise DataError("same_columns", "The text and the label must be different columns.")
    stats = [_column_stats(rows, i) for i in range(len(header))]
    if label_idx is None:
        candidates = [i for i in range(len(header)) if i != text_idx and stats[i]["label_like"]]
        if not candidates:
            raise DataError("missing_label_column", "No label column was found (a column with a "
                            f"few repeated values). The columns are: {_names(header)}. Name it "
                            "`label`, or set `label=COLUMN`.")
        label_idx = min(candidates, key=lambda i: (stats[i]["distinct"], stats[i]["avg_len"]))
        how["label"] = "content"
    if text_idx is None:
        others = [i for i in range(len(header)) if i != label_idx]
        text_idx = max(others, key=lambda i: (stats[i]["avg_len"], stats[i]["distinct"]))
        how["text"] = "content"
    return text_idx, label_idx, how


def _column_stats(rows: list[list[str]], index: int) -> dict:
    values = [cell(row, index).strip() for row in rows[:SAMPLE_ROWS] if cell(row, index).strip()]
    distinct = len(set(values))
    avg_len = sum(map(len, values)) / len(values) if values else 0.0
    label_like = bool(values) and 2 <= distinct <= max(2, min(200, len(values) // 2)) \
        and avg_len <= 40
    return {"distinct": distinct, "avg_len": avg_len, "label_like": label_like}


def load_table(path: str | Path, text_column: str | None = None,
               label_column: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> Table:
    """Read a labelled text file into a `Table` (see module doc for what is detected)."""
    text, encoding = read_text(path, max_bytes)
    fmt = sniff_format(text, Path(path).suffix)
    header, rows = stream_rows(text, fmt)
    del text  # the rows hold what they need
    return table_from_rows(header, rows, text_column, label_column, encoding, fmt)


def table_from_rows(header: list[str], rows: Iterable[list[str]], text_column: str | None,
                    label_column: str | None, encoding: str, fmt: str) -> Table:
    """Columns are chosen from the first SAMPLE_ROWS rows; after that only the text and label of
    each row are kept, and reading stops at MAX_ROWS (`more_rows` says there were more)."""
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    if not sample:
        raise DataError("header_only", "The file has a header but no examples below it.")
    text_idx, label_idx, how = detect_columns(header, sample, text_column, label_column)
    texts, labels, more = [], [], False
    for row in itertools.chain(sample, rows):
        if len(texts) >= MAX_ROWS:
            more = True
            break
        texts.append(cell(row, text_idx).strip())
        labels.append(cell(row, label_idx).strip())
    return Table(texts=texts, labels=labels, text_column=header[text_idx],
                 label_column=header[label_idx], columns=header, encoding=encoding, format=fmt,
                 detected_by=how, more_rows=more)


def hub_datasets_allowed(raw: str | None = None) -> frozenset[str] | None:
    """The hub data sets learners may name (lower-cased), from TUTOR_HUB_DATASETS: unset, a few small
    well-known labelled sets; `*`, any (each still streamed, size-checked and capped); else a comma-
    separated list of `owner/name` ids. ValueError (one line) on a malformed id."""
    raw = os.environ.get("TUTOR_HUB_DATASETS") if raw is None else raw
    if not raw or not raw.strip():
        return frozenset(name.lower() for name in DEFAULT_HUB_DATASETS)
    if raw.strip() == "*":
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    for name in names:
        if not _HUB_ID.match(name):
            raise ValueError(f"{name!r} is not a hub data set id like owner/name")
    return frozenset(name.lower() for name in names)


def check_hub_dataset_allowed(name: str) -> None:
    """DataError unless the operator allows this hub data set (see `hub_datasets_allowed`)."""
    allowed = hub_datasets_allowed()
    if allowed is not None and name.lower() not in allowed:
        listed = ", ".join(f"`{n}`" for n in sorted(allowed)[:10]) or "none"
        raise DataError("hub_dataset_not_allowed", f"`{name}` is not one of the hub data sets allowed "
                        f"here ({listed}). Ask your operator to add it to TUTOR_HUB_DATASETS, or "
                        "upload a CSV.")


def load_hub_table(name: str, text_column: str | None = None,
                   label_column: str | None = None) -> Table:
    """The first MAX_ROWS rows of a hub data set's train split as a `Table` (worker only: imports
    `datasets`). Allowlisted, size-checked before anything is downloaded, then streamed, so a huge
    set costs neither disk nor memory. Class-label ids become their names; remote code is never run."""
    import datasets

    check_hub_dataset_allowed(name)
    try:
        size = _hub_download_size(datasets, name)
        if size is not None and size > MAX_HUB_BYTES:
            raise DataError("hub_dataset_too_large", f"The hub data set `{name}` is {size / 1e9:.1f} GB "
                            f"to download; the limit is {MAX_HUB_BYTES / 1e9:.0f} GB. Pick a smaller "
                            "set, or upload a sample as CSV.")
        ds = datasets.load_dataset(name, split="train", streaming=True)
        records = iter(ds)
        first = next(records, None)
    except DataError:
        raise
    except Exception as exc:  # the hub's errors are many and varied; the learner needs one line
        raise DataError("hub_dataset_unavailable", f"The hub data set `{name}` could not be "
                        f"loaded ({type(exc).__name__}). Check the name, or upload a CSV.") from None
    if first is None:
        raise DataError("header_only", f"The hub data set `{name}` has no rows in its train split.")
    features = getattr(ds, "features", None) or {}
    header = list(features) or list(first)
    _check_width(len(header), "columns")
    names = {col: feat.names for col, feat in features.items() if hasattr(feat, "names")}

    def row(rec: dict) -> list[str]:
        values = ((c, rec.get(c)) for c in header)
        return _check_fields([str(names[c][v]) if c in names and isinstance(v, int)
                              else ("" if v is None else str(v)) for c, v in values], 0)

    rows = (row(rec) for rec in itertools.islice(itertools.chain([first], records), MAX_ROWS))
    return table_from_rows(header, rows, text_column, label_column, "utf-8", "hub")


def _hub_download_size(datasets, name: str) -> int | None:
    """Bytes to download per the hub's metadata; None when it does not say."""
    try:
        info = datasets.load_dataset_builder(name).info
    except Exception:  # no metadata (or a builder that needs code): streaming still bounds the cost
        return None
    return info.download_size or info.dataset_size or None


def _names(header: list[str]) -> str:
    return ", ".join(f"`{h}`" for h in header[:20]) or "(none)"


def usable_examples(table: Table) -> tuple[list[str], list[str]]:
    """(texts, labels) without empty texts, missing labels or repeated texts (first one wins),
    which is what `checks.py` tells the learner will happen."""
    seen: set[str] = set()
    texts, labels = [], []
    for text, label in zip(table.texts, table.labels):
        if not text or not label or text in seen:
            continue
        seen.add(text)
        texts.append(text)
        labels.append(label)
    return texts, labels
