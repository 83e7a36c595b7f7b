"""Traffic weighting over a hand-built simulated table (columns per policies.columns)."""

from __future__ import annotations

import polars as pl
import pytest

from policies.columns import fired_column, match_column, outcome_column
from policies.conflicts import analyze_policy
from policies.conflicts.traffic import wilson, weigh_findings

from .conftest import CRISP, fixture


def _frame(overlap_rows: int, n: int = 100) -> pl.DataFrame:
    emb = [i < overlap_rows + 10 for i in range(n)]  # embedding fires on the first overlap+10 rows
    kw = [i < overlap_rows or i >= n - 5 for i in range(n)]  # keyword on the overlap rows and the last 5
    return pl.DataFrame({
        "request_id": [f"r{i}" for i in range(n)],
        "cost_usd": [0.01] * n,
        "decision": ["billing_bot" if e else "invoice_keyword" if k else "fallback" for e, k in zip(emb, kw)],
        match_column("billing_bot"): emb,
        match_column("invoice_keyword"): kw,
        match_column("fallback"): [True] * n,
        fired_column(("embedding", "billing_intent")): emb,
        fired_column(("keyword", "invoice_words")): kw,
        outcome_column("cost", "m-a"): [0.03] * n,
        outcome_column("cost", "m-b"): [0.01] * n,
    })


def test_wilson_interval() -> None:
    lo, hi = wilson(8, 100)
    assert lo < 0.08 < hi and 0.03 < lo and hi < 0.16
    assert wilson(0, 0) == (0.0, 1.0) and wilson(0, 50)[0] == 0.0


def test_overlap_is_weighted_and_observed() -> None:
    report = analyze_policy(fixture("keyword_vs_embedding"), CRISP)
    weigh_findings(report, _frame(8))
    overlap = next(f for f in report.findings if f.kind == "overlap")
    assert overlap.count == 8 and overlap.share == pytest.approx(0.08)
    assert overlap.share_ci[0] < 0.08 < overlap.share_ci[1]
    assert overlap.cost_in_region == pytest.approx(0.08)
    assert overlap.stake == pytest.approx(8 * 0.02)
    assert overlap.evidence == "observed" and overlap.witnesses_real[:2] == ["r0", "r1"]
    cofire = next(f for f in report.findings if f.kind == "embedding-co-firing")
    assert cofire.count == 8 and cofire.data["p_a_given_b"] == pytest.approx(8 / 13)


def test_zero_traffic_warning_ranks_below_busy_one() -> None:
    busy = analyze_policy(fixture("keyword_vs_embedding"), CRISP)
    weigh_findings(busy, _frame(8))
    idle = analyze_policy(fixture("keyword_vs_embedding"), CRISP)
    weigh_findings(idle, _frame(0))
    quiet = next(f for f in idle.findings if f.kind == "overlap")
    loud = next(f for f in busy.findings if f.kind == "overlap")
    assert quiet.share == 0 and quiet.evidence == "possible" and quiet.data["rule_of_three_bound"] == 0.03
    assert sorted([quiet, loud], key=lambda f: f.sort_key())[0] is loud


def test_errors_stay_first_at_zero_traffic() -> None:
    report = analyze_policy(fixture("shadowed_pair"), CRISP)
    n = 20
    frame = pl.DataFrame({"request_id": [str(i) for i in range(n)], "cost_usd": [0.0] * n,
                          match_column("all_math"): [True] * n, match_column("hard_math"): [False] * n,
                          match_column("fallback"): [True] * n})
    weigh_findings(report, frame)
    assert report.findings[0].kind == "shadowed" and report.findings[0].count == 0
