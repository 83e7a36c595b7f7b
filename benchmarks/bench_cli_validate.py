"""`routing-studio validate FILE` against `vllm-sr config validate FILE`, each as a whole process.

Run: python benchmarks/bench_cli_validate.py [FILE] [--repeat 3]
A CI gate starts the command, so the figure that matters is process time: interpreter start,
imports and the check itself. Both commands run side by side in one run, from the same bin
directory as this Python (a pyenv shim would add its own start-up to both), after one untimed
warm-up each that writes the bytecode caches a normal install has (this environment may set
PYTHONDONTWRITEBYTECODE, which would make every run recompile every module). The timed runs
alternate between the two commands so both see the same load. Prints each command's median wall
and CPU time (user + system: a busy machine inflates it far less than wall time), the ratios and
the machine; both must accept the file.
Goal (issue #11): routing-studio ≤ 0.2 s and ≥ 100× faster than vllm-sr.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / "sample_data/policies/cost_optimised.yaml"


def executable(name: str) -> str:
    """The console script beside this interpreter (else on PATH): the same start-up path for both tools."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed (pip install -e '.[test]')")
    return found


def seconds(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run; a non-zero exit is a wrong comparison, not a figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help="policy file both tools validate")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command (vllm-sr takes ~20 s each)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {"routing-studio validate": [executable("routing-studio"), "validate", args.file],
                "vllm-sr config validate": [executable("vllm-sr"), "config", "validate", "--config", args.file]}
    print(f"file: {args.file}; {args.repeat} timed runs each, interleaved, after one warm-up; median wall time")
    warm = {label: seconds(argv, env)[0] for label, argv in commands.items()}
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(args.repeat):  # alternate, so both commands see the same load on a shared machine
        for label, argv in commands.items():
            runs[label].append(seconds(argv, env))
    wall = {label: statistics.median(w for w, _ in times) for label, times in runs.items()}
    cpu = {label: statistics.median(c for _, c in times) for label, times in runs.items()}
    for label, times in runs.items():
        print(f"{label:<24} wall {wall[label] * 1000:8,.0f} ms  cpu {cpu[label] * 1000:8,.0f} ms   "
              f"(warm-up {warm[label] * 1000:,.0f} ms; wall runs {', '.join(f'{w * 1000:,.0f}' for w, _ in times)} ms)")
    print(f"machine: {machine()}")  # after the runs: its load average covers them
    ours, theirs = "routing-studio validate", "vllm-sr config validate"
    ratio = wall[theirs] / wall[ours]
    print(f"ratio: routing-studio is {ratio:,.0f}x faster than vllm-sr as a process in wall time, "
          f"{cpu[theirs] / cpu[ours]:,.0f}x in CPU time (CPU time moves less with the load of a shared machine)")
    print(f"goal (>= 100x and <= 200 ms wall): {'met' if ratio >= 100 and wall[ours] <= 0.2 else 'NOT met'}")

if __name__ == "__main__":
    main()
