"""Requests the router answers itself (fast_response, response cache hits): no model cost, latency or quality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from policies.commands.simulation_text import decision_lines, summary_lines
from policies.loader import load_policy
from policies.model import Policy
from policies.simulation import Simulator, simulate
from policies.simulation.frame import prepare_candidates, prepare_requests
from policies.simulation.outcomes import ANSWERED_BY, fit_latency
from policies.simulation.report import ROUTER_LABEL
from policies.traffic.sample import sample_traffic

from .conftest import make_policy, requests_from_prompts

SAFETY = Path(__file__).resolve().parents[3] / "sample_data" / "policies" / "safety_first.yaml"
BLOCKS = ("block_jailbreak", "block_sensitive_ids")  # the two fast_response decisions of safety_first


def without_plugins(policy: Policy) -> Policy:
    """The same policy with every decision's plugins removed (each request then reaches its model)."""
    spec = policy.to_spec()
    for decision in spec["routing"]["decisions"]:
        decision.pop("plugins", None)
    return Policy.from_spec(spec)


def test_safety_first_blocked_requests_cost_nothing_on_the_sample_traffic():
    policy = load_policy(SAFETY)
    sim = Simulator(sample_traffic())
    result, served = sim.simulate(policy), sim.simulate(without_plugins(policy))
    out, anchor = result.requests, served.requests
    assert out["decision"].equals(anchor["decision"])  # plugins change the outcome, never the route
    blocked = out["decision"].is_in(BLOCKS).fill_null(False)
    assert int(blocked.sum()) > 0
    assert out.filter(blocked)[ANSWERED_BY].to_list() == ["fast_response"] * int(blocked.sum())
    assert out.filter(~blocked)[ANSWERED_BY].null_count() == int((~blocked).sum())
    rows = {r["decision"]: r for r in result.per_decision().to_dicts()}
    before = {r["decision"]: r for r in served.per_decision().to_dicts()}
    assert before["block_sensitive_ids"]["cost_share"] > 0  # what its model would have cost
    for name in BLOCKS:
        row = rows[name]
        assert (row["total_cost"], row["cost_share"], row["p95_latency_ms"]) == (0.0, 0.0, 0.0)
        assert row["mean_quality"] is None and row["quality_coverage"] is None  # no model answer to score
        assert row["answered_by_router"] == row["hits"] == before[name]["hits"]
        assert [m["model"] for m in row["models"]] == [ROUTER_LABEL]
    # requests a model answers keep every outcome of the plugin-free run
    kept = ["cost_usd", "latency_ms", "quality", "model"]
    assert out.filter(~blocked).select(kept).equals(anchor.filter(~blocked).select(kept))
    summary = result.summary()
    assert summary["answered_by"] == {"fast_response": pytest.approx(blocked.mean())}
    assert summary["model_share"][ROUTER_LABEL] == pytest.approx(blocked.mean())
    assert summary["quality_coverage"] == pytest.approx(served.summary()["quality_coverage"])
    assert summary["total_cost_usd"] == pytest.approx(anchor.filter(~blocked)["cost_usd"].sum())
    lines = summary_lines(summary) + decision_lines(result.per_decision().iter_rows(named=True))
    assert any(line.startswith(f"{ROUTER_LABEL} ") and "fast_response" in line for line in lines)
    assert any("block_sensitive_ids" in line and line.endswith(f"answered by the router)") for line in lines)


KEYWORDS = {"keywords": [{"name": "faq", "operator": "OR", "keywords": ["faq"]},
                         {"name": "docs", "operator": "OR", "keywords": ["docs"]},
                         {"name": "mine", "operator": "OR", "keywords": ["mine"]}]}
PROMPTS = ["faq one", "faq two", "docs one", "mine one", "hello", "faq three"]
LOGGED_HITS = [True, False, True, True, True, None]


def decision(name: str, keyword: str, priority: int, *plugins: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "priority": priority, "modelRefs": [{"model": "large"}], "plugins": list(plugins),
            "rules": {"operator": "AND", "conditions": [{"type": "keyword", "name": keyword}]}}


def cache(enabled: bool = True, kind: str = "response_cache") -> dict[str, Any]:
    return {"type": kind, "configuration": {"enabled": enabled, "similarity_threshold": 0.9}}


def cache_traffic() -> pl.DataFrame:
    return requests_from_prompts(PROMPTS, prompt_tokens=[100] * 6, completion_tokens=[200] * 6,
                                 model_served=["large"] * 6, latency_ms=[900.0, 1000.0, 1100.0, 950.0, 1.0, 1050.0],
                                 cache_hit=LOGGED_HITS)


def cache_policy(**spec: Any) -> Policy:
    decisions = [decision("faq", "faq", 30, cache()),
                 decision("docs", "docs", 20, cache(enabled=False)),
                 decision("mine", "mine", 10, cache(kind="semantic-cache"),  # an alias the router accepts
                          {"type": "rag", "configuration": {"enabled": True, "backend": "milvus"}})]
    policy = make_policy(decisions, KEYWORDS)
    return Policy.from_spec({**policy.to_spec(), **spec})


def test_response_cache_answers_logged_hits_of_decisions_that_cache():
    result = simulate(cache_policy(), cache_traffic())
    out = result.requests
    assert out["decision"].to_list() == ["faq", "faq", "docs", "mine", None, "faq"]
    # a hit on a caching decision; a miss; caching off; RAG personalises (no cache); the default route
    # of a policy with decisions never caches; a hit not logged
    assert out[ANSWERED_BY].to_list() == ["response_cache", None, None, None, None, None]
    assert out.row(0, named=True)["cost_usd"] == 0.0 and out.row(0, named=True)["latency_ms"] == 0.0
    assert out.row(0, named=True)["quality"] is None
    assert all(cost > 0 for cost in out["cost_usd"][1:])  # a logged hit elsewhere still calls the model
    assert ANSWERED_BY in result.outputs().columns
    assert result.summary()["answered_by"] == {"response_cache": pytest.approx(1 / 6)}


def test_response_cache_follows_the_global_store_and_memory_switches():
    store_off = cache_policy(**{"global": {"stores": {"response_cache": {"enabled": False}}}})
    assert simulate(store_off, cache_traffic()).requests[ANSWERED_BY].null_count() == 6
    memory_on = cache_policy(**{"global": {"stores": {"memory": {"enabled": True}}}})
    assert simulate(memory_on, cache_traffic()).requests[ANSWERED_BY].null_count() == 6
    no_decisions = make_policy([], KEYWORDS)  # the store's own switch (on by default) decides
    answered = simulate(no_decisions, cache_traffic()).requests[ANSWERED_BY].to_list()
    assert answered == ["response_cache", None, "response_cache", "response_cache", "response_cache", None]


def test_fast_response_comes_before_the_cache():
    fast = {"type": "fast_response", "configuration": {"message": "no"}}
    policy = make_policy([decision("faq", "faq", 30, cache(), fast)], KEYWORDS)
    assert simulate(policy, cache_traffic()).requests[ANSWERED_BY].to_list()[:2] == ["fast_response"] * 2


def test_logged_cache_hits_stay_out_of_the_latency_fit():
    reqs = requests_from_prompts([f"q{i}" for i in range(7)], prompt_tokens=[10, 20, 30, 40, 50, 60, 70],
                                 completion_tokens=[100, 300, 200, 400, 500, 250, 350], model_served=["large"] * 7,
                                 latency_ms=[1200.0, 3100.0, 2050.0, 4300.0, 1.0, 2.0, 3600.0],
                                 cache_hit=[False, None, False, False, True, True, False])
    profile = fit_latency(prepare_requests(reqs), prepare_candidates(None))["large"]
    misses = reqs.filter(~pl.col("cache_hit").fill_null(False))
    anchor = fit_latency(prepare_requests(misses), prepare_candidates(None))["large"]
    assert profile.rows == anchor.rows == 5
    assert (profile.intercept, profile.per_output_token) == pytest.approx((anchor.intercept, anchor.per_output_token))
