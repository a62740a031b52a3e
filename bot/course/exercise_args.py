"""Checks an exercise preset: the argument string a "Run" button passes to /finetune.

A preset goes through the very parser that `/finetune` uses (`bot.finetune_request`), with the
sample sets of the content folder being validated and the hub treated as offline: a one-click
exercise must work in a workspace without internet.
"""

from __future__ import annotations

from pathlib import Path

from bot.finetune_request import RequestError, RequestParser, sample_datasets


def args_problems(args: str, datasets_dir: Path | None) -> list[str]:
    """Problems with one preset; `datasets_dir` None skips the data set check (no content dir)."""
    problems: list[str] = []
    for token in args.split():
        key, sep, value = token.partition("=")
        if not sep or not key or not value:
            problems.append(f"{token!r} is not key=value")
    data = next((t.partition("=")[2] for t in args.split() if t.startswith("data=")), None)
    # Without a content folder the data set cannot be checked; the other options still are.
    samples = sample_datasets(datasets_dir.parent) if datasets_dir is not None else {data: Path(data)} if data else {}
    try:
        RequestParser(samples, hub_online=lambda: False).parse(args)
    except RequestError as error:
        if error.code != "unknown_dataset":
            problems.append(f"/finetune rejects {args!r}: {error.message}")
        else:
            problems.append(f"data={data}: no data set {data}.csv in {datasets_dir.name}/")
    return problems
