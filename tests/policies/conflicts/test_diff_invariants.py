"""Version diff (equivalence proofs, distinguishing witnesses) and user invariants."""

from __future__ import annotations

from policies.conflicts import analyze_policy
from policies.conflicts.diff import diff_policies
from policies.conflicts.invariants import parse_invariants
from policies.evaluate import route
from policies.loader import load_policy

from .conftest import CRISP, SAMPLES, assert_witness_replays, fixture


def test_reordering_decisions_is_equivalent() -> None:
    policy = load_policy(SAMPLES / "cost_optimised.yaml")
    reordered = policy.copy_policy()
    reordered.routing.decisions.reverse()
    (result,) = diff_policies(policy, reordered)
    assert result.equivalent is True and "check-sat" in result.smtlib


def test_priority_change_between_disjoint_decisions_is_equivalent() -> None:
    policy = fixture("tie_disjoint")
    changed = policy.copy_policy()
    changed.routing.decision("short_route").priority = 500
    assert diff_policies(policy, changed)[0].equivalent is True


def test_changed_threshold_yields_distinguishing_witness() -> None:
    policy = load_policy(SAMPLES / "safety_first.yaml")
    changed = policy.copy_policy()
    changed.routing.signals.jailbreak[0].threshold = 0.9
    (result,) = diff_policies(policy, changed)
    assert result.equivalent is False
    a = route(policy.routing, result.witness_a.state, policy.default_model)
    b = route(changed.routing, result.witness_b.state, changed.default_model)
    assert a.winner.action_key() != (b.winner.action_key() if b.winner else None)
    assert a.decision_name == "block_jailbreak" and 0.8 <= result.witness_a.request["scores"]["jailbreak score"] < 0.9


def test_changed_keyword_list_differs() -> None:
    policy = fixture("coverage_gap")
    changed = policy.copy_policy()
    changed.routing.decision("block").plugins = []
    (result,) = diff_policies(policy, changed)
    assert result.equivalent is False and result.decision_a == result.decision_b == "block"


INVARIANTS = parse_invariants({"invariants": [
    {"name": "pii stays local", "when": {"type": "pii", "name": "personal_data"},
     "then": {"model_not_in": ["gpt-4o", "gpt-4o-mini"]}},
    {"name": "clinicians get clinical route",
     "when": {"operator": "AND", "conditions": [{"type": "authz", "name": "clinician"}, {"type": "domain", "name": "health"}]},
     "then": {"decision": "clinical_questions"}},
]})


def test_invariants_prove_or_give_counterexample() -> None:
    policy = load_policy(SAMPLES / "privacy_regulated.yaml")
    report = analyze_policy(policy, CRISP, invariants=INVARIANTS)
    proved = [f for f in report.findings if f.kind == "invariant-proved"]
    violated = [f for f in report.findings if f.kind == "invariant-violated"]
    assert [f.data["invariant"] for f in proved] == ["pii stays local"]
    assert [f.data["invariant"] for f in violated] == ["clinicians get clinical route"]
    assert violated[0].decisions == ["personal_data_local"] and report.has_errors
    assert_witness_replays(policy, violated[0])


def test_invariant_on_default_route() -> None:
    policy = fixture("coverage_gap")
    (inv,) = parse_invariants([{"name": "always guarded", "then": {"has_plugin": "fast_response"}}])
    finding = next(f for f in analyze_policy(policy, CRISP, invariants=[inv]).findings if f.kind.startswith("invariant"))
    assert finding.kind == "invariant-violated" and finding.decisions == []
    assert_witness_replays(policy, finding)
