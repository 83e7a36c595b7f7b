"""A worker killed mid-run: Ray restarts it and retries its block, and the run completes with the
local engine's answers: no request lost, none counted twice (the outputs and the report say so)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from policies.loader import load_policy
from policies.simulation import Simulator
from policies.simulation.distributed.ray_engine import ClusterRun, simulate_on_ray
from policies.traffic import sample_traffic
from policies.traffic.sample import sample_path

from .conftest import POLICIES, assert_same_report, cluster_children, command_line

WORKER = "BlockSimulator"  # Ray names an actor's process after its class


def test_killing_a_worker_mid_run_changes_nothing(ray_cluster: object, cache_dir: Path, tmp_path: Path) -> None:
    policy = load_policy(POLICIES / "cost_optimised.yaml")
    out = tmp_path / "rows"
    runs: list[ClusterRun | BaseException] = []

    def run() -> None:
        try:
            runs.append(simulate_on_ray(policy, str(sample_path()), address=ray_cluster.address,  # type: ignore[attr-defined]
                                        out=str(out), block_rows=500))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            runs.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 600
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        done = len(list(out.glob("part-*.parquet"))) if out.exists() else 0
        workers = [pid for pid in cluster_children(ray_cluster) if WORKER in command_line(pid)]
        if done >= 1 and workers:
            killed, done_at_kill = workers[0], done
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.2)
    thread.join(timeout=600)
    assert killed is not None, "the run ended before a worker could be killed"
    assert done_at_kill < 12  # killed mid-run: blocks were still to come
    result = runs[0]
    assert not isinstance(result, BaseException), result
    assert result.blocks == 12
    rows = result.requests()
    assert rows.height == 6000 and rows["request_id"].n_unique() == 6000
    local = Simulator(sample_traffic()).simulate(policy)
    assert_frame_equal(rows, local.outputs())
    assert result.summary["requests"] == 6000
    assert_same_report(local.summary(), local.per_decision().to_dicts(), result.summary, result.per_decision.to_dicts())
