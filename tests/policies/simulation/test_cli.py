"""``routing-studio simulate | diff | explain`` through click's CliRunner."""

from __future__ import annotations

import polars as pl
from click.testing import CliRunner

from policies.commands import main

from .test_engine import SAMPLES, traffic


def test_cli_simulate_diff_explain(tmp_path):
    reqs, _ = traffic()
    log = tmp_path / "t.jsonl"
    reqs.write_ndjson(log)
    policy = tmp_path / "p.yaml"
    policy.write_text((SAMPLES / "safety_first.yaml").read_text())
    runner = CliRunner()
    out = tmp_path / "o.parquet"
    res = runner.invoke(main, ["simulate", str(policy), "--traffic", str(log), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(out).columns[:6] == ["request_id", "decision", "model", "cost_usd", "latency_ms", "quality"]
    res = runner.invoke(main, ["diff", str(policy), str(policy), "--traffic", str(log)])
    assert res.exit_code == 0 and "0 of 4 requests change" in res.output
    res = runner.invoke(main, ["explain", str(policy), "--text", "I want to end my life"])
    assert res.exit_code == 0 and "crisis_support" in res.output
    assert runner.invoke(main, ["explain", str(policy)]).exit_code == 2
