"""The embedded sample traffic and the fixture builder other modules use."""

from __future__ import annotations

import polars as pl

from policies.traffic import CANDIDATES_SCHEMA, REQUESTS_SCHEMA, sample_traffic
from policies.traffic.testing import SAMPLE_PRICING, make_requests


def test_sample_loads_completely() -> None:
    ts = sample_traffic()
    assert ts.requests.height >= 5000 and ts.rejects.height == 0
    assert ts.requests.schema == REQUESTS_SCHEMA
    req = ts.requests
    assert req["request_id"].n_unique() == req.height
    assert set(req["model_served"].unique()) == set(SAMPLE_PRICING)
    assert set(ts.candidate_outcomes["model"].unique()) == set(SAMPLE_PRICING)
    assert ts.candidate_outcomes.height == 5 * req.height
    shares = req.select(
        over_8k=(pl.col("prompt_tokens") > 8000).mean(), over_32k=(pl.col("prompt_tokens") > 32000).mean(),
        multi_turn=(pl.col("messages").list.len() > 2).mean(), tools=pl.col("has_tools").mean(),
        system=pl.col("system").is_not_null().mean(), images=pl.col("has_image").mean(),
    ).row(0, named=True)
    assert 0.02 < shares["over_8k"] < 0.12 and 0.005 < shares["over_32k"] < 0.05
    assert shares["multi_turn"] > 0.05 and shares["tools"] > 0.02 and shares["system"] > 0.2
    assert shares["images"] > 0
    assert req["quality"].null_count() == 0 and req["cost_usd"].null_count() == 0
    assert req["tenant"].null_count() == 0 and req["user_id"].null_count() == 0
    meta = req["metadata"].str.json_path_match("$.sample_source").value_counts()
    assert {"mmlu_pro", "privacy_intent", "humaneval", "chatterbot", "long_context"} <= set(meta["metadata"])
    # logged cost is consistent with the sample policies' prices
    row = req.row(0, named=True)
    p_in, p_out = SAMPLE_PRICING[row["model_served"]]
    assert abs(row["cost_usd"] - (row["prompt_tokens"] * p_in + row["completion_tokens"] * p_out) / 1e6) < 1e-7
    assert sample_traffic() is not ts  # callers get their own set


def test_make_requests_fixture() -> None:
    ts = make_requests(12, seed=3, models=["a", "b"], served="a")
    assert ts.requests.height == 12 and ts.requests.schema == REQUESTS_SCHEMA
    assert ts.candidate_outcomes.schema == CANDIDATES_SCHEMA and ts.candidate_outcomes.height == 24
    assert set(ts.requests["model_served"]) == {"a"}
    assert ts.requests["quality"].null_count() == 0
    assert make_requests(12, seed=3, models=["a", "b"], served="a").requests.equals(ts.requests)
    assert make_requests(3, with_candidates=False).candidate_outcomes["source"].to_list() == ["served"] * 3
