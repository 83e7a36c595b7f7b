"""Shared benchmark helpers: the machine line every benchmark prints, and a timer."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from typing import Callable


def machine(provider: str | None = None) -> str:
    """CPU model, cores, Python and load average (figures move with it on a shared machine), plus the
    GPU and execution provider when given one, so figures are never quoted without their machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    text = f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()}"
    if provider and provider.startswith("CUDA"):
        try:
            gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
            text += f"; GPU {gpu}"
        except (OSError, subprocess.SubprocessError):
            pass
    if provider:
        text += f"; provider {provider}"
    return text + "; load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs, in seconds (least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
