"""Size the worker to the machine it may use: CPUs from the cgroup quota and the affinity
mask (a container's limit, not the host's core count), CUDA when present, bf16 only where the
GPU supports it."""

from __future__ import annotations

import math
import os
from pathlib import Path


def usable_cpus() -> int:
    """CPUs this process may use: min(affinity mask, cgroup v2/v1 quota), at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)


def _cgroup_quota() -> float | None:
    v2 = Path("/sys/fs/cgroup/cpu.max")
    try:
        if v2.exists():
            limit, period = v2.read_text().split()[:2]
            return None if limit == "max" else int(limit) / int(period)
        v1_quota = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        v1_period = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
        if v1_quota.exists() and v1_period.exists():
            quota = int(v1_quota.read_text())
            return None if quota <= 0 else quota / int(v1_period.read_text())
    except (OSError, ValueError):
        return None
    return None


def configure_torch() -> dict:
    """Set torch's thread count and report the device: {"device", "threads", "bf16"}."""
    import torch

    threads = usable_cpus()
    torch.set_num_threads(threads)
    cuda = torch.cuda.is_available()
    bf16 = bool(cuda and torch.cuda.is_bf16_supported())
    return {"device": "cuda" if cuda else "cpu", "threads": threads, "bf16": bf16,
            "gpu": torch.cuda.get_device_name(0) if cuda else None}
