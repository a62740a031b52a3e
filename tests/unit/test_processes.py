"""stop_process: a child that ignores SIGTERM is killed after the timeout, and every child is reaped."""

from __future__ import annotations

import subprocess
import sys

from bot.processes import stop_process

STUBBORN = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)")
POLITE = "import sys, time; print('ready', flush=True); time.sleep(60)"


def child(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"  # its signal handler is in place
    return process


def test_a_child_that_leaves_on_sigterm_is_terminated_and_reaped():
    process = child(POLITE)
    stop_process(process, timeout=10)
    assert process.returncode == -15


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout():
    process = child(STUBBORN)
    stop_process(process, timeout=0.5)
    assert process.returncode == -9


def test_kill_skips_the_polite_request_and_a_gone_child_is_left_alone():
    process = child(STUBBORN)
    stop_process(process, timeout=10, kill=True)
    assert process.returncode == -9
    stop_process(process)  # already reaped: nothing to do, no error
    assert process.returncode == -9
