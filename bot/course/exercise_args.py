"""Checks an exercise preset: the argument string a "Run" button passes to /finetune.

The real parser lives in `training.request`; it is imported lazily so the course loads even where
that module is absent, and this module always checks the parts it can on its own: `key=value`
tokens and that `data=` names a sample set in the content's datasets/ folder. Presets are parsed
with the hub treated as offline: a one-click exercise must work in a workspace without internet.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# The arguments docs/lesson-format.md lists; used only when training.request is not importable.
DOCUMENTED_KEYS = frozenset({"data", "method", "epochs", "lr", "model", "per_class", "check"})


def args_problems(args: str, datasets_dir: Path | None) -> list[str]:
    """Problems with one preset; `datasets_dir` None skips the data set check (no content dir)."""
    problems: list[str] = []
    pairs: dict[str, str] = {}
    for token in args.split():
        key, sep, value = token.partition("=")
        if not sep or not key or not value:
            problems.append(f"{token!r} is not key=value")
        elif key in pairs:
            problems.append(f"{key}= is given twice")
        else:
            pairs[key] = value
    parser_problem = _training_parser_problem(args, datasets_dir)
    if parser_problem == "unavailable":
        problems += [f"unknown argument {key}=" for key in pairs if key not in DOCUMENTED_KEYS]
    elif parser_problem:
        problems.append(parser_problem)
    data = pairs.get("data")
    if data and datasets_dir is not None and not (datasets_dir / f"{data}.csv").is_file():
        problems.append(f"data={data}: no data set {data}.csv in {datasets_dir.name}/")
    return problems


def _training_parser_problem(args: str, datasets_dir: Path | None) -> str | None:
    """The training parser's complaint, None when it accepts, "unavailable" without the module.

    A missing data set is left to `args_problems` (it knows which content folder is checked).
    """
    parse = _training_parser()
    if parse is None:
        return "unavailable"
    try:
        with _content_dir_for_parser(datasets_dir):
            parse(args)
    except Exception as error:  # the parser's error types are its own; its message is for people
        if getattr(error, "code", None) == "unknown_dataset":
            return None
        return f"/finetune rejects {args!r}: {getattr(error, 'message', None) or error}"
    return None


def _training_parser() -> Callable[[str], object] | None:
    try:
        from training import request
    except ImportError:
        return None
    parse = getattr(request, "parse_args", None) or getattr(request, "parse_request", None)
    if parse is None:
        return None
    if "hub_online" in inspect.signature(parse).parameters:
        return lambda args: parse(args, hub_online=False)
    return parse


_ENV_LOCK = threading.Lock()


@contextmanager
def _content_dir_for_parser(datasets_dir: Path | None) -> Iterator[None]:
    """The training parser finds sample sets through TUTOR_CONTENT_DIR; point it at ours."""
    if datasets_dir is None:
        yield
        return
    with _ENV_LOCK:
        previous = os.environ.get("TUTOR_CONTENT_DIR")
        os.environ["TUTOR_CONTENT_DIR"] = str(datasets_dir.parent)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("TUTOR_CONTENT_DIR", None)
            else:
                os.environ["TUTOR_CONTENT_DIR"] = previous
