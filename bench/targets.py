"""The shared ending of every benchmark: one `target` line per goal, and an exit status that fails on a shortfall."""

from __future__ import annotations

import sys


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; good enough for latency tables, no numpy needed."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def report(targets: list[tuple[str, float, str, bool]]) -> int:
    """Print `target NAME: value (goal) ok|short` lines; the exit status is 1 if any is short."""
    for name, value, goal, ok in targets:
        print(f"target {name}: {value:.4g} ({goal}) {'ok' if ok else 'short'}")
    return 0 if all(ok for *_, ok in targets) else 1


def finish(targets: list[tuple[str, float, str, bool]]) -> None:
    sys.stdout.flush()
    sys.exit(report(targets))
