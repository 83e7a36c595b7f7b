"""Repairs: applied to a copy, locality proved, and the re-analysed policy no longer has the finding."""

from __future__ import annotations

import math

import pytest

from policies.conflicts import AnalysisOptions, analyze_policy
from policies.conflicts.repairs import candidate_repairs, propose_repairs
from policies.evaluate import route
from policies.model import Decision, Signal

from .conftest import CRISP, fixture


@pytest.mark.parametrize("name, kind", [("shadowed_pair", "shadowed"), ("priority_tie", "priority-tie"),
                                        ("keyword_vs_embedding", "overlap")])
def test_repairs_are_local_and_remove_the_finding(name: str, kind: str) -> None:
    report = analyze_policy(fixture(name), CRISP)
    finding = next(f for f in report.findings if f.kind == kind)
    repairs = propose_repairs(report.profiles[0].analysis, finding)
    assert {r.kind for r in repairs} == {"reorder", "guard"}
    for repair in repairs:
        assert repair.local is True and repair.winner_ok is True
        assert repair.diff.startswith("--- policy.yaml")
        after = analyze_policy(repair.policy, CRISP)
        # the conflict as stated (this kind, this winner first) is gone; a reorder may leave the reverse overlap
        assert (kind, tuple(finding.decisions)) not in {(f.kind, tuple(f.decisions)) for f in after.findings}
        # the diff changes only what the repair says: no field written back as null (e.g. an unset tier)
        assert not [line for line in repair.diff.splitlines() if line.startswith("+") and line.rstrip().endswith(": null")]


def test_union_cover_has_no_pair_repair() -> None:
    report = analyze_policy(fixture("unreachable_union"), CRISP)
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
    report = analyze_policy(policy, CRISP)
    finding = next(f for f in report.findings if f.kind == "overlap" and f.decisions == ["billing_bot", "invoice_keyword"])
    repairs = {r.kind: r for r in propose_repairs(report.profiles[0].analysis, finding)}
    assert repairs["reorder"].local is False and repairs["guard"].local is True
    moved = repairs["reorder"].counterexample
    assert moved is not None
    before = route(policy.routing, moved.state, policy.default_model).decision_name
    after = route(repairs["reorder"].policy.routing, moved.state, policy.default_model).decision_name
    assert (before, after) == ("long_prompts", "invoice_keyword")


def _near_caps():
    """math_q and code_q 80° apart at threshold 0.7 (radius ≈ 45.6° each): their caps overlap by ≈ 11°."""
    from .test_geometry import TableEncoder, _at

    return TableEncoder({"solve this equation": _at(0), "fix this python bug": _at(80)})


def _signal_repairs() -> tuple:
    policy = fixture("confidence_strategy")
    report = analyze_policy(policy, AnalysisOptions(encoder=_near_caps()))
    finding = next(f for f in report.findings if f.kind == "confidence-decided")
    return policy, {r.kind: r for r in candidate_repairs(report.profiles[0].analysis, finding)}


def test_partition_that_strands_the_fallback_is_not_offered() -> None:
    """Requests firing neither signal count as the partition's default member, so 'fallback' never wins again."""
    policy = fixture("confidence_strategy")
    report = analyze_policy(policy, AnalysisOptions(encoder=_near_caps()))
    finding = next(f for f in report.findings if f.kind == "confidence-decided")
    assert "partition" not in {r.kind for r in propose_repairs(report.profiles[0].analysis, finding)}


def test_partition_repair_makes_the_signals_exclusive_and_reports_what_else_moves() -> None:
    policy, repairs = _signal_repairs()
    repair = repairs["partition"]
    (part,) = repair.policy.routing.projections.partitions
    assert (part.semantics, part.members, part.default) == ("softmax_exclusive", ["math_q", "code_q"], "math_q")
    assert "+    partitions:" in repair.diff and "softmax_exclusive" in repair.diff
    after = analyze_policy(repair.policy, CRISP)
    assert not [f for f in after.findings if f.kind == "confidence-decided"]
    # requests firing neither signal now count as the default member: proved non-local, with a replayable request
    assert repair.local is False
    before = route(policy.routing, repair.counterexample.state, policy.default_model).decision_name
    after_route = route(repair.policy.routing, repair.counterexample_after.state, policy.default_model).decision_name
    assert (before, after_route) == ("fallback", "math_route")


def test_threshold_repair_separates_the_caps() -> None:
    from policies.conflicts.embedding_geometry import analyse_geometry

    _, repairs = _signal_repairs()
    repair = repairs["threshold"]
    signals = {s.name: s.threshold for s in repair.policy.routing.signals.embeddings}
    moved = next(name for name, t in signals.items() if t != 0.7)
    # the smallest 3-decimal threshold strictly past cos(80° − arccos 0.7)
    expected = math.floor(math.cos(math.radians(80) - math.acos(0.7)) * 1000 + 1) / 1000
    assert signals[moved] == pytest.approx(expected) and f"threshold: {expected}" in repair.diff
    geometry = analyse_geometry(repair.policy.routing, _near_caps())
    assert not geometry.pairs[0].intersects
    after = analyze_policy(repair.policy, AnalysisOptions(encoder=_near_caps()))
    assert not [f for f in after.findings if f.kind in ("confidence-decided", "embedding-co-firing")]
    assert repair.local is False  # the shrunk signal also stops firing where the other one does not


def test_analyze_policy_attaches_repairs_on_request() -> None:
    policy = fixture("priority_tie")
    assert all(not f.repairs for f in analyze_policy(policy, CRISP).findings)
    (finding,) = analyze_policy(policy, AnalysisOptions(repairs=True)).findings
    assert {r.kind for r in finding.repairs} == {"reorder", "guard"} and all(r.local for r in finding.repairs)
