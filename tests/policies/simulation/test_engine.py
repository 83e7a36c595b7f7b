"""End to end: simulate(), cached re-simulation, sweeps, comparison, explanation and the CLI."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from policies.columns import fired_column, match_column
from policies.evaluate import leaf_key
from policies.loader import load_policy
from policies.simulation import Simulator, simulate
from policies.simulation.compare import compare
from policies.simulation.explain import explain
from policies.simulation.sweep import aiq, apgr, sweep, with_signal_field

from .conftest import make_policy, requests_from_prompts

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "sample_data" / "policies"
TRAFFIC = ROOT / "sample_data" / "traffic" / "sample_requests.jsonl.gz"

KEYWORD_POLICY = make_policy(
    [{"name": "urgent", "priority": 10, "rules": {"operator": "AND", "conditions": [{"type": "keyword", "name": "u"}]},
      "modelRefs": [{"model": "large"}]},
     {"name": "long", "priority": 5, "rules": {"operator": "AND", "conditions": [{"type": "context", "name": "c"}]},
      "modelRefs": [{"model": "large"}, {"model": "small"}], "algorithm": {"type": "confidence", "confidence": {"threshold": 0.5}}}],
    {"keywords": [{"name": "u", "operator": "OR", "keywords": ["urgent"]}],
     "context": [{"name": "c", "min_tokens": 100}]})


def traffic() -> tuple[pl.DataFrame, pl.DataFrame]:
    reqs = requests_from_prompts(["urgent fix", "hello", "long text", "urgent long"], prompt_tokens=[10, 20, 500, 900],
                         completion_tokens=[100, 100, 100, 100], model_served=["small", "large", "small", "large"],
                         latency_ms=[500.0, 900.0, 700.0, 1500.0])
    cands = pl.DataFrame({"request_id": ["r0", "r0", "r1"], "model": ["small", "large", "large"],
                          "quality": [0.4, 0.9, 0.8], "completion_tokens": [50, 200, 120]})
    return reqs, cands


def test_simulate_routes_selects_models_and_costs():
    reqs, cands = traffic()
    result = simulate(KEYWORD_POLICY, reqs, cands)
    out = result.requests
    assert out["decision"].to_list() == ["urgent", None, "long", "urgent"]
    assert out["model"].to_list() == ["large", "small", "small", "large"]  # confidence → cheapest, flagged
    assert "long" in result.approximations
    # cost from pricing × tokens: candidate completion tokens when present
    assert out["cost_usd"][0] == pytest.approx((10 * 2.0 + 200 * 8.0) / 1e6)
    assert out["quality"].to_list()[:2] == [0.9, None]
    summary = result.summary()
    assert summary["default_route_share"] == 0.25
    assert summary["decisions_never_hit"] == []
    assert set(result.outputs().columns) >= {"request_id", "decision", "model", "cost_usd", "latency_ms", "quality"}


def test_per_decision_table_counts_every_decision_and_the_default():
    reqs, cands = traffic()
    table = simulate(KEYWORD_POLICY, reqs.filter(pl.col("prompt") != "long text"), cands).per_decision()
    rows = {r["decision"]: r for r in table.to_dicts()}
    assert list(rows) == ["urgent", "long", "(default)"]  # the policy's decisions, then the default route
    assert [rows[d]["hits"] for d in rows] == [2, 0, 1] and rows["urgent"]["hit_rate"] == pytest.approx(2 / 3)
    never = rows["long"]  # a decision no request reached costs nothing; its averages are undefined
    assert (never["total_cost"], never["cost_share"], never["quality_coverage"]) == (0.0, 0.0, 0.0)
    assert never["mean_cost"] is None and never["p50_latency_ms"] is None
    assert sum(rows[d]["cost_share"] for d in rows) == pytest.approx(1.0)


def test_resimulation_reuses_raw_scores_and_matches_fresh_run():
    reqs, cands = traffic()
    sim = Simulator(reqs, cands)
    sim.simulate(KEYWORD_POLICY)
    computed = sim.store.computed
    variant = with_signal_field(KEYWORD_POLICY, "context", "c", "min_tokens", 600)
    again = sim.simulate(variant)
    assert sim.store.computed == computed  # a band edge is a threshold: no raw recomputation
    assert again.requests.equals(simulate(variant, reqs, cands).requests)
    assert again.requests["decision"].to_list() == ["urgent", None, None, "urgent"]


def test_sweep_equals_repeated_simulate():
    reqs, cands = traffic()
    sim = Simulator(reqs, cands)
    values = [0, 100, 600, 1000]
    table = sweep(sim, KEYWORD_POLICY, "context", "c", values, field="min_tokens")
    for value, row in zip(values, table.iter_rows(named=True)):
        single = sim.simulate(with_signal_field(KEYWORD_POLICY, "context", "c", "min_tokens", value)).requests
        assert row["total_cost_usd"] == pytest.approx(single["cost_usd"].sum())
        assert row["hits::long"] == (single["decision"] == "long").sum()


def test_apgr_and_aiq_on_known_curves():
    assert apgr([0.5], [0.875], q_weak=0.5, q_strong=1.0) == pytest.approx(0.625)
    scores = aiq({"a": ([1.0, 2.0], [0.5, 1.0]), "b": ([1.0], [0.5])})
    assert scores["a"] == pytest.approx((0.75 * 1.0) / 2.0)
    assert scores["b"] == pytest.approx(0.5 * 1.0 / 2.0)


def test_comparison_identity_and_changes():
    reqs, cands = traffic()
    sim = Simulator(reqs, cands)
    a = sim.simulate(KEYWORD_POLICY)
    same = compare(a, sim.simulate(KEYWORD_POLICY), n_boot=50)
    assert same.changed.height == 0
    assert all(d["delta"] == 0 for d in same.deltas.values() if d["delta"] == d["delta"])
    b = sim.simulate(with_signal_field(KEYWORD_POLICY, "keyword", "u", "keywords", ["nothing"]))
    diff = compare(a, b, n_boot=50)
    assert diff.changed["request_id"].to_list() == ["r0", "r3"]
    cell = diff.transitions().filter(pl.col("decision_a") == "urgent")
    assert cell["decision_b"].to_list() == ["long", "(default)"] or set(cell["decision_b"]) == {"long", "(default)"}


def test_explain_agrees_with_batch_and_finds_flip():
    reqs, cands = traffic()
    sim = Simulator(reqs, cands)
    e = explain(sim, KEYWORD_POLICY, "r3")
    assert e.decision == "urgent" and e.route.decision_name == "urgent"
    assert e.route.decided_by == "priority"
    assert "keyword(u)" in e.text()


@pytest.mark.parametrize("method, field", [("bm25", "bm25_threshold"), ("ngram", "ngram_threshold")])
def test_explain_flips_keyword_score_thresholds(method, field):
    """BM25 / n-gram leaves carry no confidence; the flip moves their own threshold, and applying it
    really moves the request."""
    policy = make_policy(
        [{"name": "billing", "priority": 10, "modelRefs": [{"model": "large"}],
          "rules": {"operator": "AND", "conditions": [{"type": "keyword", "name": "b"}]}}],
        {"keywords": [{"name": "b", "operator": "OR", "method": method, "keywords": ["invoice refund", "billing"]}]})
    reqs, cands = traffic()
    reqs = reqs.with_columns(pl.Series("prompt", ["my invoice refund is late", "hello", "refund", "billing issue"]))
    sim = Simulator(reqs, cands)
    e = explain(sim, policy, "r0")
    assert e.decision == "billing" and e.flip is not None
    assert (e.flip.signal, e.flip.field, e.flip.winner) == ("keyword:b", field, None)
    assert e.flip.value > e.flip.current
    moved = sim.simulate(with_signal_field(policy, "keyword", "b", field, e.flip.value))
    assert moved.requests.filter(pl.col("request_id") == "r0")["decision"].item() is None
    nearer = sim.simulate(with_signal_field(policy, "keyword", "b", field, e.flip.current + (e.flip.value - e.flip.current) / 2))
    assert nearer.requests.filter(pl.col("request_id") == "r0")["decision"].item() == "billing"


def test_sample_policies_route_sample_traffic_non_trivially():
    """The four samples over the embedded sample traffic (its first 400 requests: neural signals
    encode every distinct prompt, which is minutes for all 6,000 on two busy cores)."""
    from policies.traffic import read_traffic

    full = read_traffic(TRAFFIC)
    sim = Simulator(full.requests.head(400), full.candidate_outcomes)
    for path in sorted(SAMPLES.glob("*.yaml")):
        result = sim.simulate(load_policy(path))
        summary = result.summary()
        assert summary["requests"] == 400
        assert summary["cost_coverage"] == 1.0 and summary["quality_coverage"] == 1.0
        assert summary["decision_share"], path.name
        # every decision is hit or explained: an unavailable signal, or a condition this traffic lacks
        explained = {d for info in summary["unavailable_signals"].values() for d in info["decisions"]}
        for decision in result.policy.decisions:
            if result.requests[match_column(decision.name)].any():
                explained.add(decision.name)  # matched, but always outranked
            # or a leaf that never fires on this traffic
            for _, node in decision.rules.leaves() if decision.rules else []:
                if not result.requests[fired_column(leaf_key(node))].any():
                    explained.add(decision.name)
        unexplained = [d for d in summary["decisions_never_hit"] if d not in explained]
        assert not unexplained, (path.name, unexplained, summary["decision_share"])
