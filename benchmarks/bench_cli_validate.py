"""`routing-studio validate FILE` against `vllm-sr config validate FILE`, each as a whole process.

Run: python benchmarks/bench_cli_validate.py [FILE] [--repeat 3]
A CI gate starts the command, so the figure that matters is process time: interpreter start,
imports and the check itself. Both commands run side by side in one run, from the same bin
directory as this Python (a pyenv shim would add its own start-up to both), after one untimed
warm-up each that writes the bytecode caches a normal install has (this environment may set
PYTHONDONTWRITEBYTECODE, which would make every run recompile every module). Prints each
command's median wall time, the ratio, and the machine; both must accept the file.
Goal (issue #11): routing-studio ≤ 0.2 s and ≥ 100× faster than vllm-sr.
"""

from __future__ import annotations

import argparse
import os
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


def seconds(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of one run; a non-zero exit is a wrong comparison, not a figure."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help="policy file both tools validate")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command (vllm-sr takes ~20 s each)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {"routing-studio validate": [executable("routing-studio"), "validate", args.file],
                "vllm-sr config validate": [executable("vllm-sr"), "config", "validate", "--config", args.file]}
    print(f"machine: {machine()}")
    print(f"file: {args.file}; {args.repeat} timed runs each after one warm-up; median wall time per process")
    medians = {}
    for label, argv in commands.items():
        first = seconds(argv, env)
        runs = [seconds(argv, env) for _ in range(args.repeat)]
        medians[label] = statistics.median(runs)
        print(f"{label:<24} {medians[label] * 1000:9.0f} ms   (warm-up {first * 1000:,.0f} ms; "
              f"runs {', '.join(f'{r * 1000:,.0f}' for r in runs)} ms)")
    ours, theirs = medians["routing-studio validate"], medians["vllm-sr config validate"]
    print(f"ratio: routing-studio is {theirs / ours:,.0f}x faster than vllm-sr as a process "
          f"(goal: >= 100x and <= 200 ms; {'met' if theirs / ours >= 100 and ours <= 0.2 else 'NOT met'})")


if __name__ == "__main__":
    main()
