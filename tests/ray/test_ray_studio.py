"""The studio's simulation setting ``engine = ray``: the dashboard has the cluster score and route the
picked traffic, then routes here over the scores the cluster wrote: the local engine's answers, and
no model run in the studio's process."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from policies.api import TrafficSet
from policies.loader import load_policy
from policies.simulation import Simulator
from policies.traffic import sample_traffic
from widgets.simulation_dashboard import SimulationDashboard

from .conftest import POLICIES


def test_dashboard_on_the_ray_engine(ray_cluster: object, cache_dir: Path) -> None:
    sample = sample_traffic()
    requests = sample.requests.head(400).with_columns(  # 40 prompts no cache holds: the cluster scores them
        pl.when(pl.int_range(pl.len()) < 40).then(pl.format("Studio on Ray {}: {}", pl.int_range(pl.len()), "prompt"))
        .otherwise(pl.col("prompt")).alias("prompt"), pl.lit(None).alias("messages"))
    traffic = TrafficSet(requests, sample.candidate_outcomes.filter(pl.col("request_id").is_in(requests["request_id"].implode())),
                         sample.rejects, sample.source)
    policy = load_policy(POLICIES / "cost_optimised.yaml")
    dashboard = SimulationDashboard(policy=policy, traffic=traffic, engine="ray",
                                    ray_address=ray_cluster.address)  # type: ignore[attr-defined]
    assert dashboard.run(), dashboard.error
    assert "scored on Ray: 1 block(s), 2 workers" in dashboard.status
    assert dashboard.simulator().context.cache.written == 0  # every score came from the cluster's files
    local = Simulator(traffic).simulate(policy)
    assert_frame_equal(dashboard.result.outputs(), local.outputs())
