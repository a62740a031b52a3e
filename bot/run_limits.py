"""The wall-clock limit of one training run, as a wrapper around the worker's `should_stop`.

The trainer polls `should_stop` every step; past the deadline the wrapper raises `OverBudget`, which
ends the run at that step and fails the job with a message saying what to lower.
"""

from __future__ import annotations

import time
from typing import Callable


def with_deadline(should_stop: Callable[[], bool], max_seconds: float,
                  clock: Callable[[], float] = time.monotonic) -> Callable[[], bool]:
    from training.errors import OverBudget

    deadline = clock() + max_seconds

    def check() -> bool:
        if clock() >= deadline:
            raise OverBudget("time_limit", f"The run went past its time limit of {max_seconds / 60:g} "
                             "minutes and was stopped. Use `per_class=` for fewer rows, fewer `epochs=`, "
                             "or `method=frozen`, which is much faster.")
        return should_stop()

    return check
