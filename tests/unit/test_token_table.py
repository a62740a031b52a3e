"""The tutor's token table (`bot.tutor.embed.TokenTable`) as the bot's shutdown sees it."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

READ_WHILE_EXITING = """
import atexit, os, sys, threading, time
atexit.register(time.sleep, 0.5)  # registered first, so it runs last: the reader keeps going after exit's hooks
import numpy as np
from bot.tutor.embed import TokenTable
np.save(sys.argv[1], np.ones((64, 8), dtype=np.float16))
table = TokenTable(sys.argv[1])
started = threading.Event()

def read_forever():
    while True:
        try:
            table.rows([1, 2, 3])
        except OSError as error:
            os.write(2, f"read failed at exit: {error!r}\\n".encode())
            return
        started.set()

threading.Thread(target=read_forever, daemon=True).start()
started.wait(10)
"""


def test_a_read_in_flight_at_exit_keeps_its_file(tmp_path):
    """The bot's start opens the tutor's index on a daemon thread (`TutorService.warm`). A process told
    to stop within that second exited while the thread was still reading the table; closing the table's
    file at exit failed that read with EBADF and printed a traceback in the bot's log (CI, stop 33). The
    file now closes only when the table is collected, and the OS closes it at exit."""
    out = subprocess.run([sys.executable, "-c", READ_WHILE_EXITING, str(tmp_path / "table.npy")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "read failed" not in out.stderr, out.stderr
