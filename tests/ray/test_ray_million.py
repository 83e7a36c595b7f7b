"""A million requests, generated from the sample's 2,695 distinct prompts (scores are keyed by text,
so the cost of models is per distinct prompt, taken from the shipped score layer), in two
normalised Parquet files: under ``--engine ray`` every request gets the local engine's decision,
model and outcomes, and the merged report is the local one."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from policies.loader import load_policy
from policies.simulation import Simulator
from policies.simulation.distributed.inputs import write_normalised
from policies.simulation.distributed.ray_engine import simulate_on_ray
from policies.traffic import sample_traffic

from .conftest import POLICIES, assert_same_report

COPIES = 167  # x 6,000 = 1,002,000 requests


def million() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The sample's requests and candidates, copied with fresh ids (candidates grouped by request, in
    request order, as an import reads them), tokens and latencies varied per copy."""
    traffic = sample_traffic()
    requests = traffic.requests.with_columns(pl.lit(None).alias("messages"), pl.lit(None).alias("tool_definitions"))
    copy = pl.int_range(COPIES, eager=True).alias("copy")
    big = (requests.join(pl.DataFrame(copy), how="cross")
           .with_columns(pl.format("{}#{}", "request_id", "copy").alias("request_id"),
                         (pl.col("latency_ms") * (1 + pl.col("copy") / COPIES)).alias("latency_ms"),
                         (pl.col("completion_tokens") + pl.col("copy")).alias("completion_tokens"))
           .sort("copy", maintain_order=True))
    order = big.select("request_id", pl.col("copy"), pl.int_range(pl.len()).alias("_row"))
    candidates = (traffic.candidate_outcomes.join(pl.DataFrame(copy), how="cross")
                  .with_columns(pl.format("{}#{}", "request_id", "copy").alias("request_id"))
                  .join(order.drop("copy"), on="request_id").sort("_row", maintain_order=True).drop("_row", "copy"))
    return big.drop("copy"), candidates


@pytest.mark.slow
def test_a_million_requests_same_answers(ray_cluster: object, cache_dir: Path, tmp_path: Path) -> None:
    requests, candidates = million()
    assert requests.height == 1_002_000
    half = requests.height // 2
    for i, part in enumerate((requests.head(half), requests.tail(requests.height - half))):
        ids = part["request_id"].implode()
        write_normalised(part, candidates.filter(pl.col("request_id").is_in(ids)), tmp_path / f"part{i}.parquet",
                         row_group_rows=125_250)
    policy = load_policy(POLICIES / "cost_optimised.yaml")
    run = simulate_on_ray(policy, str(tmp_path / "part*.parquet"), address=ray_cluster.address,  # type: ignore[attr-defined]
                          out=str(tmp_path / "rows"))
    assert run.blocks == 8
    local = Simulator(requests, candidates).simulate(policy)
    assert_frame_equal(run.requests(), local.outputs())
    assert_same_report(local.summary(), local.per_decision().to_dicts(), run.summary, run.per_decision.to_dicts())
