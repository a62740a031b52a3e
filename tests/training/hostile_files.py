"""Files measured in issue 13 that cost rows x columns memory in the old reader (shared by the
data, isolation and end-to-end tests)."""

from __future__ import annotations

import json


def wide_csv(columns: int = 20_000, rows: int = 1_000) -> bytes:
    """A header of `columns` names over rows of two cells (about 130 kB)."""
    header = ",".join(["text", "label"] + [f"c{i}" for i in range(columns - 2)])
    return (header + "\n" + "".join(f"t{i},l{i % 2}\n" for i in range(rows))).encode()


def many_keys_jsonl(keys: int = 3_000) -> bytes:
    """One new key on each line (about 120 kB)."""
    return "".join(json.dumps({"text": f"t{i}", "label": i % 2, f"k{i}": 1}) + "\n"
                   for i in range(keys)).encode()


HOSTILE = {"wide.csv": wide_csv, "keys.jsonl": many_keys_jsonl}
