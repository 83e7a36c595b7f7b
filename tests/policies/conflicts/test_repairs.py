"""Repairs: applied to a copy, locality proved, and the re-analysed policy no longer has the finding."""

from __future__ import annotations

import pytest

from policies.conflicts import analyze_policy
from policies.conflicts.repairs import propose_repairs
from policies.evaluate import route
from policies.model import Decision, Signal

from .conftest import fixture


@pytest.mark.parametrize("name, kind", [("shadowed_pair", "shadowed"), ("priority_tie", "priority-tie"),
                                        ("keyword_vs_embedding", "overlap")])
def test_repairs_are_local_and_remove_the_finding(name: str, kind: str) -> None:
    report = analyze_policy(fixture(name))
    finding = next(f for f in report.findings if f.kind == kind)
    repairs = propose_repairs(report.profiles[0].analysis, finding)
    assert {r.kind for r in repairs} == {"reorder", "guard"}
    for repair in repairs:
        assert repair.local is True and repair.winner_ok is True
        assert repair.diff.startswith("--- policy.yaml")
        after = analyze_policy(repair.policy)
        # the conflict as stated (this kind, this winner first) is gone; a reorder may leave the reverse overlap
        assert (kind, tuple(finding.decisions)) not in {(f.kind, tuple(f.decisions)) for f in after.findings}


def test_union_cover_has_no_pair_repair() -> None:
    report = analyze_policy(fixture("unreachable_union"))
    (finding,) = [f for f in report.findings if f.kind == "unreachable"]
    assert propose_repairs(report.profiles[0].analysis, finding) == []


def test_reorder_that_moves_traffic_outside_the_region_is_not_local() -> None:
    # invoice_keyword (100) raised above billing_bot (200) also jumps a third decision at 150: requests with the
    # keyword, a long prompt and no billing intent move too, outside the overlap region
    policy = fixture("keyword_vs_embedding")
    policy.routing.signals.context = [Signal.for_collection("context").from_spec({"name": "long", "min_tokens": "8K"})]
    policy.routing.decisions.append(Decision.from_spec({
        "name": "long_prompts", "priority": 150, "rules": {"operator": "AND", "conditions": [{"type": "context", "name": "long"}]},
        "modelRefs": [{"model": "m-c", "use_reasoning": False}]}))
    report = analyze_policy(policy)
    finding = next(f for f in report.findings if f.kind == "overlap" and f.decisions == ["billing_bot", "invoice_keyword"])
    repairs = {r.kind: r for r in propose_repairs(report.profiles[0].analysis, finding)}
    assert repairs["reorder"].local is False and repairs["guard"].local is True
    moved = repairs["reorder"].counterexample
    assert moved is not None
    before = route(policy.routing, moved.state, policy.default_model).decision_name
    after = route(repairs["reorder"].policy.routing, moved.state, policy.default_model).decision_name
    assert (before, after) == ("long_prompts", "invoice_keyword")
