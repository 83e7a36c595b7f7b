"""Repairs converge (issue 14, item 1): applied in sequence over the conflict corpus and the sample policies they
reach a policy with no active repairable finding, never cycle, never undo an earlier repair, never let a block's
request reach a model and never break a user invariant."""

from __future__ import annotations

import pytest

from policies.conflicts import AnalysisOptions, analyze_policy
from policies.conflicts.intent import accepted_pairs
from policies.conflicts.invariants import parse_invariants
from policies.conflicts.repairs import REPAIRABLE, propose_repairs
from policies.conflicts.settle import counts, finding_label, settle
from policies.loader import load_policy
from policies.model import Policy

from .conftest import CRISP, FIXTURES, SAMPLES

CORPUS = sorted(FIXTURES.glob("*.yaml")) + sorted(SAMPLES.glob("*.yaml"))


def _blocked_requests_stay_blocked(before: Policy, after: Policy) -> None:
    """Re-checked on what ``settle`` applied, every profile (the filter ran on candidates): no request a block
    answers in ``before`` reaches a model in ``after``. A solver proof over both versions, not a sample."""
    from policies.conflicts.repairs import _Versions

    for profile in before.profiles():
        if not profile.routing.all_decisions():
            continue
        versions = _Versions(before, after, profile.name, 10000)
        assert not versions.unblocks(), f"a block's request reaches a model after the repair ({profile.name!r})"


def _uses_embeddings(path) -> bool:
    policy = load_policy(path)
    return any(p.routing.signals and p.routing.signals.embeddings for p in policy.profiles())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_repairs_applied_in_sequence_settle(path) -> None:
    _assert_settles(path, CRISP)


@pytest.mark.parametrize("path", [p for p in CORPUS if _uses_embeddings(p)], ids=lambda p: p.name)
def test_repairs_settle_with_the_real_encoder(path) -> None:
    """Embedding policies with the bundled ONNX encoder: cap geometry, partition and threshold candidates too."""
    _assert_settles(path, AnalysisOptions())


def _assert_settles(path, options: AnalysisOptions) -> None:
    policy = load_policy(path)
    result = settle(policy, options=options)  # raises on a cycle (a policy seen before)
    active = [f for f in result.after.findings if f.kind in REPAIRABLE and not f.accepted]
    assert {finding_label(f) for f in active} <= set(result.left)  # nothing repairable or acceptable is left
    errors = [sum(f.severity.value == "error" for f in r.findings) for r in (result.before, result.after)]
    assert errors[1] <= errors[0], "repairs created an error"
    previous, intents = policy, set()
    for step in result.steps:
        _blocked_requests_stay_blocked(previous, step.policy)
        # an earlier repair's intent (the annotation a reorder or an acceptance wrote) is never removed ...
        now = {(p.name, pair) for p in step.policy.profiles() for pair in accepted_pairs(p.routing)}
        assert intents <= now, f"{step.action} undid an earlier repair"
        intents, previous = now, step.policy
    # ... and never contradicted: no active finding has an accepted pair's other decision winning
    report = result.after
    for finding in report.findings:
        if finding.kind in REPAIRABLE and len(finding.decisions) == 2 and not finding.accepted:
            assert (finding.profile, tuple(reversed(finding.decisions))) not in intents or finding.kind == "shadowed"


def test_safety_first_mirror_warnings_settle() -> None:
    """The issue's loop: raising block_sensitive_ids used to create the mirror warning offering to raise
    block_jailbreak, and the count stayed at 6. Now every overlap is repaired or accepted as intended."""
    result = settle(load_policy(SAMPLES / "safety_first.yaml"), options=CRISP)
    assert counts(result.before)["overlap"] == 6
    assert counts(result.after)["overlap"] == 0
    assert counts(result.after)["overlap (accepted)"] == 6
    first = result.steps[0]
    assert first.action.startswith("repair (reorder): raise 'block_sensitive_ids'")
    report = analyze_policy(first.policy, CRISP)
    mirror = next(f for f in report.findings if f.decisions == ["block_sensitive_ids", "block_jailbreak"])
    assert mirror.accepted and propose_repairs(report.profiles[0].analysis, mirror) == []
    assert sum(not f.accepted and f.kind == "overlap" for f in report.findings) == 5


def test_no_repair_lifts_a_model_above_a_block() -> None:
    """The CLI proposed lifting code_help above block_jailbreak, which let jailbreaks through to a model."""
    report = analyze_policy(load_policy(SAMPLES / "safety_first.yaml"), CRISP)
    analysis = report.profiles[0].analysis
    for blocker in ("block_jailbreak", "block_sensitive_ids"):
        for other in ("code_help", "crisis_support"):
            finding = next(f for f in report.findings if f.decisions == [blocker, other])
            assert propose_repairs(analysis, finding) == [], (blocker, other)
    # the two blocks may still be reordered: a block's request stays with a block
    pair = next(f for f in report.findings if f.decisions == ["block_jailbreak", "block_sensitive_ids"])
    assert {r.kind for r in propose_repairs(analysis, pair)} == {"reorder", "guard"}


def test_a_repair_that_breaks_an_invariant_is_dropped() -> None:
    """crisis_support -> code_help reorder sends self-harm messages in code to qwen3-32b; an invariant forbids it."""
    policy = load_policy(SAMPLES / "safety_first.yaml")
    invariants = parse_invariants([{"name": "self-harm reaches gpt-4o", "when": {"type": "keyword", "name": "self_harm"},
                                    "then": {"model_not_in": ["qwen3-32b"]}}])
    report = analyze_policy(policy, CRISP, invariants)
    analysis = report.profiles[0].analysis
    finding = next(f for f in report.findings if f.decisions == ["crisis_support", "code_help"])
    without = propose_repairs(analysis, finding)
    assert any(r.kind == "reorder" for r in without)  # offered when nothing forbids it
    assert propose_repairs(analysis, finding, invariants) == []
    result = settle(policy, invariants, CRISP)
    assert counts(result.after)["invariant-violated"] == 0
    assert all("code_help" not in s.action for s in result.steps)


def test_the_block_check_can_fail() -> None:
    """The check above really detects a block overtaken by a model-bound decision."""
    policy = load_policy(SAMPLES / "safety_first.yaml")
    lifted = policy.copy_policy()
    lifted.routing.decision("code_help").priority = 2000
    with pytest.raises(AssertionError):
        _blocked_requests_stay_blocked(policy, lifted)
