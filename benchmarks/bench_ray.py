"""``simulate --engine ray`` on 1 and on 2 workers, beside the local engine, on the same new prompts.

The traffic is the sample's first ``--requests`` requests with every prompt made new (a run tag in
front), so every run really encodes every prompt: each run gets an empty score cache and no shipped
score layer (``ROUTING_STUDIO_SCORE_LAYER=off``). Runs, in one process, one after the other:

* the anchor: the local engine (``Simulator``, its encoder on every core of the machine);
* ``simulate_on_ray`` with 1 worker, then with 2 (a local Ray instance, each worker 1 CPU and one
  single-threaded encoder run).

Prints requests/s of each, seconds per pass (read, fit, simulate, merge), the ratio 2 workers /
1 worker of the simulate pass (where the models run: what scales) and of the whole run, and
whether every run routed every request alike. The measured per-worker rate is what the README's
projection for 1B requests starts from (section "Simulating past one machine").

    python benchmarks/bench_ray.py [--requests 1200] [--block-rows 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402

POLICY = REPO / "sample_data" / "policies" / "cost_optimised.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--block-rows", type=int, default=250)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    os.environ["ROUTING_STUDIO_SCORE_LAYER"] = "off"
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))

    import polars as pl

    from policies.loader import load_policy
    from policies.simulation import Simulator
    from policies.simulation.distributed.inputs import write_normalised
    from policies.simulation.distributed.ray_engine import simulate_on_ray
    from policies.simulation.neural import NeuralContext
    from policies.traffic import sample_traffic

    sample = sample_traffic()
    tag = f"[bench {time.time_ns()}"
    requests = sample.requests.head(args.requests).with_columns(  # every prompt new and distinct
        pl.format(tag + " {}] {}", pl.int_range(pl.len()), "prompt").alias("prompt"), pl.lit(None).alias("messages"))
    candidates = sample.candidate_outcomes.filter(pl.col("request_id").is_in(requests["request_id"].implode()))
    traffic = work / "traffic.parquet"
    write_normalised(requests, candidates, traffic, row_group_rows=args.block_rows)
    distinct = requests["prompt"].n_unique()
    policy = load_policy(POLICY)
    print(f"machine: {machine()}")
    print(f"{requests.height:,} requests, {distinct:,} distinct new prompts, {POLICY.name}, "
          f"blocks of {args.block_rows} requests, empty score caches, no score layer")

    figures: dict[str, Any] = {"requests": requests.height, "distinct_prompts": distinct}
    started = time.perf_counter()
    local = Simulator(requests, candidates, context=NeuralContext(cache_dir=work / "local-cache")).simulate(policy)
    figures["local_s"] = time.perf_counter() - started
    rows = {"local": local.outputs()}
    for workers in (1, 2):
        started = time.perf_counter()
        run = simulate_on_ray(policy, str(traffic), workers=workers, out=str(work / f"rows-{workers}"),
                              scores=str(work / f"scores-{workers}"), block_rows=args.block_rows)
        figures[f"ray{workers}_s"] = time.perf_counter() - started
        figures[f"ray{workers}_passes_s"] = run.timings
        rows[f"ray{workers}"] = run.requests()
    for name in ("local", "ray1", "ray2"):
        seconds = figures[f"{name}_s"]
        print(f"{name:>6}: {seconds:7.1f} s  {requests.height / seconds:7.1f} requests/s "
              f"({distinct / seconds:.1f} distinct prompts/s)")
    for workers in (1, 2):
        passes = figures[f"ray{workers}_passes_s"]
        print(f"  ray{workers} passes: " + ", ".join(f"{k} {v:.1f} s" for k, v in passes.items())
              + f"; simulate pass {requests.height / passes['simulate']:.1f} requests/s, "
              f"{requests.height / passes['simulate'] / workers:.1f} per worker")
    figures["ratio_2_to_1"] = figures["ray1_s"] / figures["ray2_s"]
    figures["simulate_pass_ratio_2_to_1"] = figures["ray1_passes_s"]["simulate"] / figures["ray2_passes_s"]["simulate"]
    figures["ratio_ray2_to_local"] = figures["local_s"] / figures["ray2_s"]
    figures["same_answers"] = all(rows[name].equals(rows["local"]) for name in ("ray1", "ray2"))
    print(f"simulate pass (the models and routing), 2 workers / 1 worker: {figures['simulate_pass_ratio_2_to_1']:.2f}x")
    print(f"whole run, 2 workers / 1 worker: {figures['ratio_2_to_1']:.2f}x; 2 workers / local engine: "
          f"{figures['ratio_ray2_to_local']:.2f}x (wall times include Ray start-up and both passes)")
    print(f"every request routed alike by local, 1 and 2 workers: {figures['same_answers']}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
