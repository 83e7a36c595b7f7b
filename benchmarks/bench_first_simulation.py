"""First simulation of the bundled sample on a fresh install: with the shipped score layer vs without.

Each run gets an empty temporary ``ROUTING_STUDIO_CACHE``, as a fresh install has. Two paths:

* CLI: ``routing-studio simulate sample_data/policies/safety_first.yaml --traffic
  sample_data/traffic/sample_requests.jsonl.gz`` as a whole process (interpreter start, imports,
  model loading and all), writing ``--out`` so both runs' per-request answers can be compared;
* studio: a freshly served studio in its own process (the browser tests' in-process server, headless
  Debian Chromium): on the Simulation tab with the default sample policy, from the click on "Run
  simulation" until "Simulated N requests" shows (traffic load, models, extraction, routing, render).

The anchor is the same run with ``ROUTING_STUDIO_SCORE_LAYER=off`` (every encoder and PII pattern
score computed), printed beside it with the ratio; then whether both runs routed every request alike.
Usage: ``python benchmarks/bench_first_simulation.py [--no-studio]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402

POLICY = "sample_data/policies/safety_first.yaml"
TRAFFIC = "sample_data/traffic/sample_requests.jsonl.gz"
STUDIO_RUN = """
import importlib.util, json, re, tempfile, time
spec = importlib.util.spec_from_file_location("harness", "tests/conftest.py")  # the browser tests' server helpers
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)
import panel as pn
from playwright.sync_api import sync_playwright
from studio.app import build_app
from studio.config import StudioConfig
db = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
base = harness.serve_in_process({"studio": lambda: build_app(StudioConfig(db=db))}, harness.free_port())
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=harness.CHROMIUM, args=harness.CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/studio?tab=simulation", timeout=600_000)
    button = page.get_by_role("button", name="Run simulation")
    button.wait_for(timeout=600_000)
    started = time.perf_counter()
    button.click()
    done = page.locator("text=/Simulated [0-9,]+ requests/").first
    done.wait_for(timeout=600_000)
    seconds = time.perf_counter() - started
    requests = int(re.search(r"Simulated ([0-9,]+) requests", done.inner_text()).group(1).replace(",", ""))
    browser.close()
pn.state.kill_all_servers()
print(json.dumps({"seconds": seconds, "requests": requests}))
"""


def run(command: list[str], layer: bool) -> tuple[float, subprocess.CompletedProcess]:
    """``command`` in a fresh process with an empty score cache, the layer on or off."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ROUTING_STUDIO_CACHE": cache}
        env.pop("ROUTING_STUDIO_SCORE_LAYER", None)
        if not layer:
            env["ROUTING_STUDIO_SCORE_LAYER"] = "off"
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done


def line(path: str, requests: int, with_layer: float, without: float) -> str:
    return (f"{path:<7} with layer {with_layer:6.1f} s ({requests / with_layer:7,.0f} req/s)   "
            f"layer off (anchor) {without:6.1f} s ({requests / without:5,.0f} req/s)   "
            f"ratio {without / with_layer:5.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-studio", action="store_true", help="time the CLI only")
    args = ap.parse_args()
    cli = shutil.which("routing-studio")
    if cli is None:
        sys.exit("routing-studio is not on PATH: pip install -e . first")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as out:
        outputs = {mode: str(Path(out) / f"{mode}.parquet") for mode in ("layer", "off")}
        timed = {mode: run([cli, "simulate", POLICY, "--traffic", TRAFFIC, "--out", outputs[mode]], mode == "layer")[0]
                 for mode in ("layer", "off")}
        a, b = (pl.read_parquet(outputs[mode]) for mode in ("layer", "off"))
        requests = a.height
        print(f"first simulation of the sample, {requests:,} requests, {POLICY}, empty ROUTING_STUDIO_CACHE")
        print(line("CLI", requests, timed["layer"], timed["off"]))
        changed = a.join(b, on="request_id", suffix="_off").filter(
            pl.col("decision").ne_missing(pl.col("decision_off"))
            | pl.col("model").ne_missing(pl.col("model_off"))).height
        print(f"--out files identical (decision, model, cost, latency, quality per request): {a.equals(b)}; "
              f"requests routed differently: {changed}")
    if not args.no_studio:
        studio = {mode: json.loads(run([sys.executable, "-c", STUDIO_RUN], mode == "layer")[1].stdout
                                   .strip().splitlines()[-1]) for mode in ("layer", "off")}
        print("studio: a fresh served studio (in-process Bokeh server, headless Chromium), Simulation tab, "
              "default sample policy: click on Run simulation until 'Simulated N requests' shows")
        print(line("studio", studio["layer"]["requests"], studio["layer"]["seconds"], studio["off"]["seconds"]))
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
