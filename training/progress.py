"""What the trainer tells its caller while it runs, and the polling of the cancel token."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

from training.errors import Cancelled


@dataclass
class Progress:
    phase: str  # loading | tokenizing | features | training | evaluating | baselines | saving | done
    epoch: float = 0.0
    total_epochs: int = 0
    step: int = 0
    total_steps: int = 0
    loss: float | None = None
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class Reporter:
    """Wraps the optional callbacks: `emit` sends a Progress, `check` raises `Cancelled` when
    `should_stop()` says so. ETA is estimated from the pace of the current phase."""

    def __init__(self, on_progress: Callable[[Progress], None] | None,
                 should_stop: Callable[[], bool] | None):
        self.on_progress = on_progress
        self.should_stop = should_stop
        self._phase_started: dict[str, float] = {}

    def stop_requested(self) -> bool:
        return bool(self.should_stop and self.should_stop())

    def check(self) -> None:
        if self.stop_requested():
            raise Cancelled()

    def emit(self, phase: str, epoch: float = 0.0, total_epochs: int = 0, step: int = 0,
             total_steps: int = 0, loss: float | None = None) -> None:
        started = self._phase_started.setdefault(phase, time.perf_counter())
        eta = None
        if total_steps and step:
            eta = round((time.perf_counter() - started) / step * (total_steps - step), 1)
        if self.on_progress:
            self.on_progress(Progress(phase, round(epoch, 3), total_epochs, step, total_steps,
                                      None if loss is None else round(float(loss), 4), eta))
