"""Threshold slider → updated metrics, on 10,000 requests: engine only, widget, and in the browser.

    python benchmarks/bench_slider_latency.py [--requests 10000] [--moves 6] [--no-browser]

Traffic: the embedded sample (6,000 requests) repeated with fresh request ids up to ``--requests``.
Policy: notebooks/policies/keyword_tiers.yaml (every signal computable offline). Reported per move:

* engine: ``Simulator.resimulate`` of the tuned policy plus its ``summary()`` (metrics);
* widget: the dashboard's whole update in Python (re-simulate, cards, Sankey, tables, plot);
* browser: from releasing the slider handle in headless Chromium until the cost card shows the
  new value (served in-process by Panel, so it includes websocket round trips and rendering).

The goal is < 300 ms end to end in the browser. The machine line is printed first.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policies.loader import load_policy  # noqa: E402
from policies.simulation import Simulator  # noqa: E402
from policies.traffic import TrafficSet, sample_traffic  # noqa: E402
from widgets.threshold_sliders import with_thresholds  # noqa: E402

POLICY = ROOT / "notebooks" / "policies" / "keyword_tiers.yaml"
KNOB = "keywords.reasoning.bm25_threshold"
CHROMIUM = "/usr/bin/chromium"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown cpu")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs, load {load}, "
            f"Python {platform.python_version()}, polars {pl.__version__}")


def traffic_of(n: int) -> TrafficSet:
    """The sample repeated with suffixed request ids until it has ``n`` requests."""
    base = sample_traffic()
    copies = -(-n // base.requests.height)
    requests = pl.concat([base.requests.with_columns(pl.col("request_id") + f"-{i}") for i in range(copies)]).head(n)
    candidates = pl.concat([base.candidate_outcomes.with_columns(pl.col("request_id") + f"-{i}")
                            for i in range(copies)]).filter(pl.col("request_id").is_in(requests["request_id"].implode()))
    return TrafficSet(requests, candidates, base.rejects, base.source)


def stats(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return (f"{name:8} median {statistics.median(ms):7.1f} ms   min {ms[0]:7.1f}   max {ms[-1]:7.1f}   "
            f"(n={len(ms)})")


def bench_engine(simulator: Simulator, policy, values: list[float]) -> list[float]:
    out = []
    for value in values:
        started = time.perf_counter()
        simulator.resimulate(with_thresholds(policy, {KNOB: value})).summary()
        out.append(time.perf_counter() - started)
    return out


def bench_widget(dashboard, values: list[float]) -> list[float]:
    out = []
    for value in values:
        started = time.perf_counter()
        dashboard.sliders.set_value(KNOB, value)
        out.append(time.perf_counter() - started)
    return out


def bench_browser(traffic: TrafficSet, moves: int) -> list[float]:
    import panel as pn
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM_ARGS, free_port, serve_in_process

    from widgets.simulation_dashboard import SimulationDashboard

    def app():
        dashboard = SimulationDashboard(policy=load_policy(POLICY), traffic=traffic)
        dashboard.run()
        return dashboard

    port = free_port()
    base = serve_in_process({"bench": app}, port)
    card = ".rs-card[data-metric='total_cost_usd'] .rs-value"
    out = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/bench", timeout=600_000)
            page.locator(card).first.wait_for(timeout=600_000)
            track = page.locator(".noUi-base").first.bounding_box()
            for i in range(moves + 1):  # the first move warms the browser's code paths; not counted
                before = page.locator(card).first.inner_text()
                handle = page.locator(".noUi-handle").first.bounding_box()
                y = handle["y"] + handle["height"] / 2
                target = track["x"] + track["width"] * (0.85 if i % 2 == 0 else 0.1)
                page.mouse.move(handle["x"] + handle["width"] / 2, y)
                page.mouse.down()
                page.mouse.move(target, y, steps=5)
                started = time.perf_counter()
                page.mouse.up()
                expect(page.locator(card).first).not_to_have_text(before, timeout=60_000)
                if i:
                    out.append(time.perf_counter() - started)
            browser.close()
    finally:
        pn.state.kill_all_servers()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print("machine:", machine())
    traffic = traffic_of(args.requests)
    policy = load_policy(POLICY)
    simulator = Simulator(traffic)
    started = time.perf_counter()
    simulator.simulate(policy)
    print(f"requests: {traffic.requests.height:,}; first simulation (signal extraction) "
          f"{time.perf_counter() - started:.1f} s")
    values = [0.3 + 0.25 * (i % 7) for i in range(args.moves)]
    print(stats("engine", bench_engine(simulator, policy, values)))

    from widgets.simulation_dashboard import SimulationDashboard
    dashboard = SimulationDashboard(policy=policy, traffic=traffic)
    dashboard.__panel__()
    dashboard.run()
    print(stats("widget", bench_widget(dashboard, values)))
    if not args.no_browser:
        print(stats("browser", bench_browser(traffic, args.moves)))


if __name__ == "__main__":
    main()
