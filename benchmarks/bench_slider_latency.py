"""Threshold slider → updated metrics, on 10,000 requests: engine only, widget, and in the browser.

    python benchmarks/bench_slider_latency.py [--requests 10000] [--moves 6] [--no-browser] [--profile]

Traffic: the embedded sample (6,000 requests) repeated with fresh request ids up to ``--requests``.
Policy: notebooks/policies/keyword_tiers.yaml (every signal computable offline). Reported per move:

* engine: ``Simulator.resimulate`` of the tuned policy plus its ``summary()`` (metrics);
* widget: the dashboard's whole update in Python (re-simulate, cards, Sankey, tables, plot), the
  dashboard rendered into a Bokeh document so that updating its Bokeh models counts;
* browser: from releasing the slider handle in headless Chromium until the cost card shows the
  new value (served in-process by Panel, so it includes websocket round trips and rendering);
  split into ``server`` (the served dashboard's update in Python, timed in the server) and the
  size of what the server sent back per move (Bokeh PATCH-DOC messages over the websocket: how
  many, bytes, and how many new Bokeh models they carry — data-only updates carry none).

With ``--profile`` the counted moves are also recorded with Chromium's tracing (the page's main
thread: script, style, layout, paint, self time per event) and V8's sampling profiler (self time
per JS function), summed over the moves: where the browser's part of a move goes.

The goal is < 300 ms end to end in the browser. The machine line is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine  # noqa: E402
from policies.loader import load_policy  # noqa: E402
from policies.simulation import Simulator  # noqa: E402
from policies.traffic import TrafficSet, sample_traffic  # noqa: E402
from widgets.threshold_sliders import with_thresholds  # noqa: E402

POLICY = ROOT / "notebooks" / "policies" / "keyword_tiers.yaml"
KNOB = "keywords.reasoning.bm25_threshold"
CHROMIUM = "/usr/bin/chromium"


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


def new_models(content: str) -> int:
    """Bokeh models created by a PATCH-DOC message (its JSON content names each new one once)."""
    found = 0
    stack = [json.loads(content)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += node.get("type") == "object" and "id" in node and "name" in node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


class SocketLog:
    """Websocket frames the page receives; per move: PATCH-DOC count, bytes, new models."""

    def __init__(self) -> None:
        self.frames: list[str | bytes] = []

    def attach(self, page) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: self.frames.append(frame)))

    def take(self) -> tuple[int, int, int]:
        """(patches, bytes, new models) since the last call; a Bokeh message is header, metadata,
        content, then a text id frame and a binary frame per buffer."""
        frames, self.frames = self.frames, []
        patches = size = models = 0
        i = 0
        while i + 2 < len(frames):
            header = json.loads(frames[i]) if isinstance(frames[i], str) and frames[i].startswith("{") else {}
            if "msgtype" not in header:
                i += 1
                continue
            buffers = 2 * header.get("num_buffers", 0)
            if header["msgtype"] == "PATCH-DOC":
                patches += 1
                size += sum(len(f) for f in frames[i + 1:i + 3 + buffers])
                models += new_models(frames[i + 2])
            i += 3 + buffers
        return patches, size, models


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink"]


def trace_self_times(trace: bytes) -> Counter:
    """Self time (ms) per event name on the renderer's main thread (nested complete events)."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    spans = sorted(((e["ts"], e["ts"] + e.get("dur", 0), e["name"]) for e in events
                    if (e.get("pid"), e.get("tid")) in main and e.get("ph") == "X" and e.get("dur")),
                   key=lambda s: (s[0], -s[1]))
    out: Counter = Counter()
    stack: list[tuple[float, str]] = []  # (end, name) of the enclosing events
    for start, end, name in spans:
        while stack and stack[-1][0] <= start:
            stack.pop()
        if stack:  # a direct child: its time is not its parent's own
            out[stack[-1][1]] -= (end - start) / 1000
        out[name] += (end - start) / 1000
        stack.append((end, name))
    return out


def profile_times(profile: dict) -> tuple[Counter, Counter]:
    """(self, total) ms per JS function (name, script, line) of a V8 CPU profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {child: n["id"] for n in profile["nodes"] for child in n.get("children", [])}

    def name(node_id: int) -> str:
        frame = nodes[node_id]["callFrame"]
        script = frame["url"].rsplit("/", 1)[-1].split("?")[0]
        return f"{frame['functionName'] or '(anonymous)'} [{script}:{frame['lineNumber']}]"

    own: Counter = Counter()
    total: Counter = Counter()
    times = profile.get("timeDeltas", [])
    for sample, delta in zip(profile.get("samples", []), times[1:] + [0]):
        own[name(sample)] += delta / 1000
        seen, node = set(), sample
        while node is not None:
            seen.add(name(node))
            node = parent.get(node)
        for caller in seen:
            total[caller] += delta / 1000
    return own, total


def bench_browser(traffic: TrafficSet, moves: int,
                  profile: bool = False) -> tuple[list[float], list[float], list[tuple[int, int, int]]]:
    import panel as pn
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM_ARGS, free_port, serve_in_process

    from widgets.simulation_dashboard import SimulationDashboard

    server: list[float] = []

    class TimedDashboard(SimulationDashboard):
        def _retune(self, event):  # the whole server-side update of a slider move
            started = time.perf_counter()
            super()._retune(event)
            server.append(time.perf_counter() - started)

    def app():
        dashboard = TimedDashboard(policy=load_policy(POLICY), traffic=traffic)
        dashboard.run()
        return dashboard

    port = free_port()
    base = serve_in_process({"bench": app}, port)
    card = ".rs-card[data-metric='total_cost_usd'] .rs-value"
    out, sent = [], []
    log = SocketLog()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            log.attach(page)
            cdp = page.context.new_cdp_session(page) if profile else None
            traced: Counter = Counter()
            profiled: Counter = Counter()
            inclusive: Counter = Counter()
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
                page.wait_for_timeout(300)  # let drag-time traffic settle before the release is timed
                log.take()
                if cdp and i:
                    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                    cdp.send("Profiler.enable")
                    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                    cdp.send("Profiler.start")
                started = time.perf_counter()
                page.mouse.up()
                expect(page.locator(card).first).not_to_have_text(before, timeout=60_000)
                if cdp and i:
                    elapsed = time.perf_counter() - started
                    page.wait_for_timeout(200)  # paint after the card's text changed
                    own, total = profile_times(cdp.send("Profiler.stop")["profile"])
                    profiled.update(own)
                    inclusive.update(total)
                    traced.update(trace_self_times(browser.stop_tracing()))
                    out.append(elapsed)
                    page.wait_for_timeout(300)
                    sent.append(log.take())
                elif i:
                    out.append(time.perf_counter() - started)
                    page.wait_for_timeout(300)  # messages after the card (none expected)
                    sent.append(log.take())
            browser.close()
        if profile:
            print_top("main thread, self ms per move, by trace event", traced, moves)
            print_top("JS, self ms per move, by function", profiled, moves)
            print_top("JS, total ms per move (with callees), by function", inclusive, moves, top=90)
    finally:
        pn.state.kill_all_servers()
    return out, server[-moves:], sent


def print_top(title: str, totals: Counter, moves: int, top: int = 25) -> None:
    print(title + ":")
    for name, total in totals.most_common(top):
        print(f"  {total / moves:8.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--profile", action="store_true", help="trace and profile the browser's part")
    args = parser.parse_args()
    print(f"machine: {machine()}; polars {pl.__version__}")
    traffic = traffic_of(args.requests)
    policy = load_policy(POLICY)
    simulator = Simulator(traffic)
    started = time.perf_counter()
    simulator.simulate(policy)
    print(f"requests: {traffic.requests.height:,}; first simulation (signal extraction) "
          f"{time.perf_counter() - started:.1f} s")
    values = [0.3 + 0.25 * (i % 7) for i in range(args.moves)]
    print(stats("engine", bench_engine(simulator, policy, values)))

    import panel as pn
    from bokeh.document import Document

    from widgets.simulation_dashboard import SimulationDashboard
    dashboard = SimulationDashboard(policy=policy, traffic=traffic)
    document = Document()
    document.add_root(pn.panel(dashboard).get_root(document))
    dashboard.run()
    print(stats("widget", bench_widget(dashboard, values)))
    if not args.no_browser:
        browser, server, sent = bench_browser(traffic, args.moves, args.profile)
        print(stats("browser", browser))
        print(stats("server", server))
        print("sent per move: " + "; ".join(f"{p} PATCH-DOC, {b / 1024:.1f} KiB, {m} new models" for p, b, m in sent))
    print("load after:", ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
