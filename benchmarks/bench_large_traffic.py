"""The studio with a large traffic set: the real traffic picker loads a synthetic 1M-row OpenAI log
and the real simulation dashboard simulates a crisp-signal policy over it.

Both run the way their buttons do (background threads under a running asyncio loop, as in
``panel serve``), in a fresh child process so the peak RSS printed is the whole process's
(``ru_maxrss``: Panel, the engine, the import and the simulation). A ticker task on the same loop
records the longest gap between its ticks: how long any other session would have waited to be
served. That stall is checked here against its limit (not in the tests: a busy machine must not
fail CI), beside its anchor, the whole run (what a load on the event loop would stall). Only crisp signals (keyword, context, structure) are simulated: the neural ones run an ONNX
encoder per request, hours on CPU for 1M rows; benchmark those on a sample or a GPU.

    python benchmarks/bench_large_traffic.py [--rows 1000000] [--keep DIR] [--json out.json]

Exits 1 when a stall exceeds its limit. ``--rows 30000`` is the picker test's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402
from benchmarks.synthetic_traffic import CRISP_POLICY, synthetic_log  # noqa: E402

TICK_S = 0.05
# Longest acceptable event-loop stall while the picker or the dashboard works in its threads. On the
# loop itself the stall would be the whole run (minutes at 1M rows). What remains in threads is
# CPython's full garbage collections, which hold the GIL while they walk the heap (Panel's
# included): 0.4 s on a quiet machine, 2.7-5.8 s measured at load average 15-39 on 2 cores.
MAX_STALL_S = 10.0
MAX_STALL_SHARE = 1 / 3  # of the run, for short runs (at least 1 s: one full collection under load)


def stall_limit_s(wall_s: float) -> float:
    """The stall allowed in a run of ``wall_s`` seconds."""
    return min(MAX_STALL_S, max(1.0, wall_s * MAX_STALL_SHARE))


def report_stall(stage: str, stall_s: float, wall_s: float) -> bool:
    """Print the stage's longest stall beside its run and its limit; True when within the limit."""
    limit, share = stall_limit_s(wall_s), stall_s / wall_s if wall_s else 0.0
    print(f"{stage}: longest event-loop stall {stall_s:.2f}s of a {wall_s:.1f}s run ({share:.1%}; "
          f"on the loop it would be 100%); limit {limit:.1f}s: {'met' if stall_s < limit else 'EXCEEDED'}")
    return stall_s < limit


def rss_mib() -> float:
    """Current resident set size (Linux /proc), MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def responsive(work: Awaitable[Any]) -> tuple[Any, float, float]:
    """Await ``work`` while a ticker runs on the same loop: (result, wall s, longest tick gap s)."""
    gaps = [0.0]

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            gaps[0] = max(gaps[0], now - last - TICK_S)
            last = now

    ticker = asyncio.ensure_future(tick())
    started = time.perf_counter()
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, time.perf_counter() - started, gaps[0]


async def drive(path: str) -> dict[str, Any]:
    """Picker loads ``path`` (registered on the server), dashboard simulates it; figures as a dict."""
    import polars as pl

    from policies.loader import loads_policy
    from widgets.simulation_dashboard import SimulationDashboard

    dashboard = SimulationDashboard(policy=loads_policy(CRISP_POLICY, "crisp.yaml"))
    dashboard.__panel__()
    picker = dashboard.picker
    picker.param.update(registered={"large": path}, source="Registered")
    shown: list[float | None] = []
    picker.param.watch(lambda e: e.new is not None and shown.append(e.new.fraction), "progress")
    baseline = rss_mib()
    loaded, import_wall, import_gap = await responsive(picker.load_async())
    if not loaded:
        raise RuntimeError(picker.error)
    import_peak = peak_rss_mib()
    traffic = dashboard.traffic
    # The dashboard's Run button handler (threads per stage); there is no public async entry yet.
    _, simulate_wall, simulate_gap = await responsive(dashboard._on_run(None))
    if dashboard.error:
        raise RuntimeError(dashboard.error)
    rows = traffic.requests.height
    routed = dashboard.result.requests["decision"].fill_null("default").value_counts().sort("decision")
    return {
        "rows": rows, "rejects": traffic.rejects.height, "bytes": Path(path).stat().st_size,
        "import_wall_s": round(import_wall, 1), "import_rows_per_s": round(rows / import_wall),
        "import_longest_tick_gap_s": round(import_gap, 2), "progress_shown": len(shown),
        "progress_last_fraction": shown[-1] if shown else None,
        "simulate_wall_s": round(simulate_wall, 1), "simulate_longest_tick_gap_s": round(simulate_gap, 2),
        "status": dashboard.status,
        "baseline_rss_mib": round(baseline), "peak_rss_after_import_mib": round(import_peak),
        "peak_rss_mib": round(peak_rss_mib()), "polars_threads": pl.thread_pool_size(),
        "routed": dict(routed.iter_rows()),
    }


def measure(path: Path, timeout_s: float = 3600) -> dict[str, Any]:
    """Run :func:`drive` in a fresh interpreter (its own peak RSS); returns its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the log here instead of a temp dir (and keep it)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(drive(args.child))))
        return 0
    print(f"machine: {machine()}")
    print("signals: crisp only (keyword, context, structure)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"openai_{args.rows}.jsonl"
        if not path.exists():
            synthetic_log(path, args.rows)
        figures = measure(path)
    print(f"picker:    {figures['rows']:,} rows ({figures['bytes'] / 2**20:.0f} MiB) in {figures['import_wall_s']}s "
          f"= {figures['import_rows_per_s']:,} rows/s; {figures['rejects']} rejects; progress shown "
          f"{figures['progress_shown']} times")
    print(f"dashboard: {figures['simulate_wall_s']}s ({figures['status']})")
    within = [report_stall("picker", figures["import_longest_tick_gap_s"], figures["import_wall_s"]),
              report_stall("dashboard", figures["simulate_longest_tick_gap_s"], figures["simulate_wall_s"])]
    print(f"RSS MiB (whole process): after start {figures['baseline_rss_mib']}, peak after import "
          f"{figures['peak_rss_after_import_mib']}, peak overall {figures['peak_rss_mib']}")
    print(f"routed: {figures['routed']}")
    print(f"load average at the end {tuple(round(x, 1) for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), **figures}, indent=2))
    return 0 if all(within) else 1


if __name__ == "__main__":
    raise SystemExit(main())
