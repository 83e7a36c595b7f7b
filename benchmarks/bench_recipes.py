"""The router's own recipes through the CLI a user runs: simulate 6,000 sample requests, then check.

For every recipe in ``../shared/data/vllm-sr-upstream/recipes/*/config.yaml`` (vLLM Semantic
Router's maintained routing recipes, Apache-2.0) and, as the anchor, the sample policy
``sample_data/policies/safety_first.yaml``, each as a whole process, one at a time:

* ``routing-studio simulate <config> --traffic sample_data/traffic/sample_requests.jsonl.gz --json``
  twice: *cold* with an empty ``ROUTING_STUDIO_CACHE`` (the shipped read-only score layer stays on,
  as a user has it), then *warm* on the cache the cold run filled;
* ``routing-studio check <config> --json``.

Per process: wall time and peak resident memory (``os.wait4``'s rusage of that child alone), and
requests/s for simulations. Each recipe's line ends with its times as multiples of the anchor's.
Every child runs under an address-space cap (``--cap-gib``, default 16) so that a runaway recipe
fails alone instead of taking a shared machine down; a failed run prints its exit status.
Goal (issue 12): every recipe simulates within this machine's memory and checks in seconds, not
minutes (< 60 s). Signals a recipe leaves unavailable are listed after the table.

Usage: ``python benchmarks/bench_recipes.py [--recipes DIR] [--extra CONFIG ...] [--cap-gib 16]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402

TRAFFIC = "sample_data/traffic/sample_requests.jsonl.gz"
ANCHOR = REPO / "sample_data" / "policies" / "safety_first.yaml"
RECIPES = REPO.parent / "shared" / "data" / "vllm-sr-upstream" / "recipes"
CHECK_GOAL_S = 60.0


@dataclass
class Run:
    """One finished child process."""

    seconds: float
    peak_mib: float
    status: int  # exit code; negative: killed by that signal
    output: dict | None  # the --json document, when the run printed one

    @property
    def failed(self) -> bool:
        return self.output is None


def run(argv: list[str], cache: str, cap_bytes: int) -> Run:
    """``argv`` as a child with ``ROUTING_STUDIO_CACHE=cache``; its own wall time and peak RSS."""
    env = {**os.environ, "ROUTING_STUDIO_CACHE": cache}
    env.pop("ROUTING_STUDIO_SCORE_LAYER", None)  # the shipped layer on, as a user has it

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.DEVNULL, preexec_fn=cap)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        try:
            document = json.loads(out.read())
        except ValueError:
            document = None
    return Run(seconds, usage.ru_maxrss / 1024, child.returncode, document)


def measure(cli: str, config: Path, cap_bytes: int) -> dict[str, Run]:
    """Cold and warm simulation (one fresh cache for both), then check."""
    runs = {}
    with tempfile.TemporaryDirectory() as cache:
        simulate = [cli, "simulate", str(config), "--traffic", TRAFFIC, "--json"]
        runs["cold"] = run(simulate, cache, cap_bytes)
        runs["warm"] = run(simulate, cache, cap_bytes)
        runs["check"] = run([cli, "check", str(config), "--json"], cache, cap_bytes)
    return runs


def cell(r: Run, simulate: bool) -> str:
    if r.failed:
        return f"{'FAILED (exit ' + str(r.status) + ')':>24}"
    if simulate:
        requests = r.output["summary"]["requests"]
        return f"{r.seconds:6.1f} s {requests / r.seconds:5.0f}/s {r.peak_mib:6.0f} MiB"
    return f"{r.seconds:6.1f} s {r.peak_mib:6.0f} MiB {len(r.output['findings']):4d} findings"


def versus(r: Run, anchor: Run) -> str:
    return "   —" if r.failed or anchor.failed else f"{r.seconds / anchor.seconds:4.1f}x"


def memory_gib() -> float:
    with open("/proc/meminfo") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("MemTotal")) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", type=Path, default=RECIPES, help="folder of <name>/config.yaml recipes")
    ap.add_argument("--extra", type=Path, nargs="*", default=[], help="more configs to measure beside them")
    ap.add_argument("--cap-gib", type=float, default=16.0, help="address-space cap of each child process")
    args = ap.parse_args()
    cli = shutil.which("routing-studio")
    if cli is None:
        sys.exit("routing-studio is not on PATH: pip install -e . first")
    configs = sorted(args.recipes.glob("*/config.yaml")) + list(args.extra)
    if not configs:
        sys.exit(f"no recipes under {args.recipes} (the router's files live in ../shared beside the clone)")
    cap_bytes = int(args.cap_gib * 2**30)
    memory = memory_gib()
    print(f"machine: {machine()}; memory {memory:.1f} GiB")
    print(f"{TRAFFIC}, one process at a time, each capped at {args.cap_gib:g} GiB of address space; "
          "simulate cold = empty ROUTING_STUDIO_CACHE (shipped score layer on), warm = same cache again")
    print(f"{'config':<22} {'simulate cold':>24} | {'simulate warm':>24} | {'check':>31} | "
          "vs anchor: cold warm check")
    anchor = measure(cli, ANCHOR, cap_bytes)
    rows = [("safety_first (anchor)", anchor)]
    print(f"{rows[0][0]:<22} {cell(anchor['cold'], True)} | {cell(anchor['warm'], True)} | "
          f"{cell(anchor['check'], False)} |")
    for config in configs:
        name = config.parent.name if config.name == "config.yaml" else config.stem
        runs = measure(cli, config, cap_bytes)
        rows.append((name, runs))
        print(f"{name:<22} {cell(runs['cold'], True)} | {cell(runs['warm'], True)} | "
              f"{cell(runs['check'], False)} |   {versus(runs['cold'], anchor['cold'])} "
              f"{versus(runs['warm'], anchor['warm'])} {versus(runs['check'], anchor['check'])}", flush=True)
    recipes = rows[1:]
    within = all(not r[k].failed and r[k].peak_mib < memory * 1024 for _, r in recipes for k in ("cold", "warm"))
    quick = all(not r["check"].failed and r["check"].seconds < CHECK_GOAL_S for _, r in recipes)
    print(f"goal (every recipe simulates within {memory:.0f} GiB; check < {CHECK_GOAL_S:.0f} s): "
          f"{'met' if within and quick else 'NOT met'} (memory {'met' if within else 'NOT met'}, "
          f"check {'met' if quick else 'NOT met'})")
    for name, runs in recipes:
        if not runs["cold"].failed and runs["cold"].output["summary"]["unavailable_signals"]:
            missing = runs["cold"].output["summary"]["unavailable_signals"]
            print(f"{name}: {len(missing)} unavailable: " + "; ".join(f"{k} ({v['reason']})" for k, v in missing.items()))
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
