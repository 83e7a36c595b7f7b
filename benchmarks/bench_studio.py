"""Studio start to first paint in headless Chromium (goal: under 3 s), printed with the machine.

Run: ``python benchmarks/bench_studio.py [--runs N]``. "Server start" is in-process ``pn.serve`` until
the port answers; "first paint" is from navigation until the decisions table of the opened policy
is visible (the whole page built and rendered), for a cold first session and for warm ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine  # noqa: E402


def _harness():
    """The browser-test harness (tests/conftest.py), loaded by path: ``tests/`` must not shadow ``policies``."""
    spec = importlib.util.spec_from_file_location("studio_test_harness", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = _harness()

GOAL_S = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="page loads after the cold one")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import panel as pn

    from studio.app import build_app
    from studio.config import StudioConfig
    imported = time.perf_counter() - t0

    db = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    t0 = time.perf_counter()
    base = harness.serve_in_process({"studio": lambda: build_app(StudioConfig(db=db))}, harness.free_port())
    started = time.perf_counter() - t0

    from playwright.sync_api import sync_playwright

    paints: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=harness.CHROMIUM, args=harness.CHROMIUM_ARGS)
        for _ in range(args.runs + 1):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"{base}/studio")
            page.locator("table.rs-decisions").wait_for(timeout=60_000)
            paints.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    pn.state.kill_all_servers()

    cold, warm = paints[0], paints[1:]
    print(f"machine: {machine()}")
    print(f"import studio: {imported:.2f} s   server start: {started:.2f} s")
    print(f"first paint, cold session: {cold:.2f} s")
    if warm:
        print(f"first paint, warm sessions (n={len(warm)}): median {statistics.median(warm):.2f} s, "
              f"min {min(warm):.2f} s, max {max(warm):.2f} s")
    verdict = statistics.median(warm or [cold])
    print(f"goal < {GOAL_S:.0f} s: {'met' if verdict < GOAL_S else 'NOT met'} (median {verdict:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
