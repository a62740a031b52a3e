"""The data check in a child process with an address-space and CPU-time limit.

The bot runs data checks in its listener threads; the readers in `data.py` are capped, but a check
in a child is belt-and-braces: whatever a file does to the reader (a bug, a pathological encoding),
the worst case is a child killed by its limits and an error report, never the bot running out of
memory. `python -m training.isolated ARGS_JSON` is the child; it prints the report as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MEMORY_BYTES = 1024 * 1024 * 1024  # address space, interpreter included
CPU_SECONDS = 30
WALL_SECONDS = 60  # a child waiting on a slow disk still ends
_ROOT = Path(__file__).resolve().parents[1]


def check_file_isolated(path: str | Path, text_column: str | None = None,
                        label_column: str | None = None, *, task: str = "classify", memory_bytes: int = MEMORY_BYTES,
                        cpu_seconds: int = CPU_SECONDS, wall_seconds: float = WALL_SECONDS) -> dict:
    """`check_file(...).report.to_dict()` (`check_chat_file` for task=chat), computed in a limited
    child; never raises for bad data."""
    args = {"path": str(path), "text": text_column, "label": label_column, "task": task,
            "memory": memory_bytes, "cpu": cpu_seconds}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])))
    try:
        done = subprocess.run([sys.executable, "-m", "training.isolated", json.dumps(args)], env=env,
                              capture_output=True, text=True, timeout=wall_seconds, cwd=_ROOT)
        if done.returncode == 0:
            return json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        pass
    return _too_costly(memory_bytes, cpu_seconds)


def _too_costly(memory_bytes: int, cpu_seconds: int) -> dict:
    return {"ok": False, "rows": 0, "classes": {}, "problems": [{
        "level": "error", "code": "check_too_costly",
        "message": f"Checking this file needed more than {memory_bytes // 2**20:,} MB of memory or "
                   f"{cpu_seconds} s of processing, the limits for a data check.",
        "fix": "Upload a smaller file: fewer rows, a text and a label column, no huge values."}]}


def _child(args: dict) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (args["memory"], args["memory"]))
    resource.setrlimit(resource.RLIMIT_CPU, (args["cpu"], args["cpu"]))
    if args.get("task") == "chat":
        from training.chat_data import check_chat_file

        report = check_chat_file(args["path"]).to_dict()
    else:
        from training.checks import check_file

        report = check_file(args["path"], args["text"], args["label"]).report.to_dict()
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
