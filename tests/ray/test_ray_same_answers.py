"""``--engine ray`` gives every request of the sample traffic the local engine's decision, model and
outcomes, and the same report, on a real Ray cluster (a head and two workers, :mod:`.conftest`)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from policies.commands import main
from policies.loader import load_policy
from policies.simulation import Simulator
from policies.simulation.distributed.ray_engine import simulate_on_ray
from policies.traffic import sample_traffic
from policies.traffic.sample import sample_path

from .conftest import POLICIES, assert_same_report


def test_sample_traffic_same_answers_through_the_cli(ray_cluster: object, cache_dir: Path, tmp_path: Path) -> None:
    policy = POLICIES / "cost_optimised.yaml"
    local = Simulator(sample_traffic()).simulate(load_policy(policy))
    out = tmp_path / "rows"
    result = CliRunner().invoke(main, ["simulate", str(policy), "--traffic", str(sample_path()), "--engine", "ray",
                                       "--address", ray_cluster.address, "--out", str(out), "--json"])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # Ray logs to stderr
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == report["cluster"]["blocks"] == 1  # 6,000 records < one block of 50,000
    assert_frame_equal(pl.read_parquet(parts), local.outputs())
    assert_same_report(local.summary(), local.per_decision().to_dicts(), report["summary"], report["per_decision"])


def test_blocks_merge_to_the_local_report_and_scores_are_reused(ray_cluster: object, cache_dir: Path,
                                                                tmp_path: Path) -> None:
    """Several blocks merge exactly; texts no cache holds are scored once, kept as Parquet under the
    cache folder, and read back by the next run (which scores nothing)."""
    traffic = sample_traffic()
    requests = traffic.requests.head(1200).with_columns(  # prompts nobody scored: the shipped layer lacks them
        pl.when(pl.int_range(pl.len()) < 90).then(pl.format("Ray test {}: {}", pl.int_range(pl.len()), pl.col("prompt")))
        .otherwise(pl.col("prompt")).alias("prompt"),
        pl.lit(None).alias("messages"))
    candidates = traffic.candidate_outcomes.filter(pl.col("request_id").is_in(requests["request_id"].implode()))
    from policies.simulation.distributed.inputs import write_normalised

    write_normalised(requests, candidates, tmp_path / "traffic.parquet", row_group_rows=300)
    policy = load_policy(POLICIES / "cost_optimised.yaml")
    local = Simulator(requests, candidates).simulate(policy)
    first = simulate_on_ray(policy, str(tmp_path / "traffic.parquet"), address=ray_cluster.address,  # type: ignore[attr-defined]
                            out=str(tmp_path / "first"), block_rows=300)
    assert first.blocks == 4
    assert first.scores_written > 0
    assert Path(first.scores_root) == cache_dir / "cluster-scores"
    assert list(Path(first.scores_root).glob("model=*/signal=*/shard=*/*.parquet"))
    assert_frame_equal(first.requests(), local.outputs())
    assert_same_report(local.summary(), local.per_decision().to_dicts(), first.summary, first.per_decision.to_dicts())
    again = simulate_on_ray(policy, str(tmp_path / "traffic.parquet"), address=ray_cluster.address,  # type: ignore[attr-defined]
                            out=str(tmp_path / "again"), block_rows=300)
    assert again.scores_written == 0
    assert_frame_equal(again.requests(), first.requests())
