"""Stopping a child process, one way for all: the CLI's training worker, the benches' bots, the tests'."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen, timeout: float = 15.0, *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL at once with `kill`), SIGKILL if it has not left within `timeout`, and reap
    it either way: a stopped parent leaves no zombie and no orphan behind."""
    if kill and process.poll() is None:
        process.kill()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=timeout)
