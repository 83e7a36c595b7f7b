"""Witnesses as requests (issue 14, item 3): the example prompt is made of the policy's own words, and where it has no
placeholder it really routes into the witness's region when simulated offline (real keyword matching, the real
ONNX encoder for embedding signals)."""

from __future__ import annotations

import pytest

from policies.conflicts import AnalysisOptions, analyze_policy
from policies.loader import load_policy, loads_policy
from policies.simulation.explain import explain_text

from .conftest import CRISP, SAMPLES, fixture

KEYWORDS = """
version: v0.3
providers:
  defaults: {model: m-default}
  models: [{name: m-default}, {name: m-a}, {name: m-b}, {name: m-c}]
routing:
  strategy: priority
  signals:
    keywords:
      - {name: refund, operator: OR, keywords: [refund, money back], case_sensitive: false}
      - {name: urgent, operator: OR, keywords: [urgent, asap], case_sensitive: false}
      - {name: legal, operator: AND, keywords: [lawyer, court], case_sensitive: false}
  decisions:
    - {name: legal_desk, priority: 300, rules: {operator: AND, conditions: [{type: keyword, name: legal}]},
       modelRefs: [{model: m-c}]}
    - {name: refunds, priority: 200, rules: {operator: AND, conditions: [{type: keyword, name: refund}]},
       modelRefs: [{model: m-a}]}
    - {name: escalations, priority: 100, rules: {operator: OR, conditions: [{type: keyword, name: urgent},
       {type: keyword, name: legal}]}, modelRefs: [{model: m-b}]}
"""


def _routes_into_region(policy, finding) -> None:
    witness = finding.witness_synthetic
    assert witness is not None and not witness.placeholders, finding.kind
    explanation = explain_text(policy, witness.example, profile=finding.profile or None)
    matched = {name for name, tree in explanation.route.trees.items() if tree.value}
    if finding.kind in ("overlap", "generalization"):
        assert set(finding.decisions) <= matched and explanation.decision == finding.decisions[0]
    else:
        assert set(finding.decisions) <= matched and explanation.decision in finding.decisions
    # the table agrees with what the simulation fired
    fired = {f"{s['leaf']}" for s in explanation.signals if s["fired"]}
    for row in witness.table(finding.signals):
        assert (row.signal in fired) == row.fires, row


def test_keyword_witnesses_are_real_prompts_that_route_into_their_region() -> None:
    policy = loads_policy(KEYWORDS, "keywords.yaml")
    report = analyze_policy(policy, CRISP)
    real = [f for f in report.findings if f.witness_synthetic is not None and not f.witness_synthetic.placeholders]
    assert sorted(f.kind for f in real) == ["generalization", "overlap", "overlap"]
    for finding in real:
        _routes_into_region(policy, finding)
    # the gap's request fires nothing: it is named, not invented
    gap = next(f for f in report.findings if f.kind == "coverage-gap")
    assert gap.witness_synthetic.example == "[any prompt no signal fires on]"
    overlap = next(f for f in report.findings if f.decisions == ["refunds", "escalations"])
    example = overlap.witness_synthetic.example
    assert any(k in example for k in ("refund", "money back")) and any(k in example for k in ("urgent", "asap"))
    assert "lawyer" not in example and "court" not in example  # quietened: nothing the overlap does not need


def test_embedding_witness_uses_the_candidate_phrase_and_routes_with_the_real_encoder() -> None:
    policy = fixture("keyword_vs_embedding")
    report = analyze_policy(policy, AnalysisOptions())
    (overlap,) = [f for f in report.findings if f.kind == "overlap"]
    candidates = policy.routing.signals.embeddings[0].candidates
    assert any(c in overlap.witness_synthetic.example for c in candidates)
    _routes_into_region(policy, overlap)


def test_classifier_signals_get_named_placeholders_not_a_dict() -> None:
    report = analyze_policy(load_policy(SAMPLES / "safety_first.yaml"), CRISP)
    finding = next(f for f in report.findings if f.decisions == ["block_jailbreak", "block_sensitive_ids"])
    witness = finding.witness_synthetic
    assert witness.placeholders == ["[jailbreak 'prompt_injection' scores ≥ 0.80]",
                                    "[pii 'credentials_or_ids' scores ≥ 0.85]"]
    assert "{" not in witness.example
    rows = {r.signal: r for r in witness.table(finding.signals)}
    assert rows["jailbreak:prompt_injection"].threshold == "≥ 0.80" and rows["jailbreak:prompt_injection"].fires


@pytest.mark.parametrize("name", ["priority_tie", "shadowed_pair"])
def test_witness_table_lists_every_signal_of_the_finding(name: str) -> None:
    report = analyze_policy(fixture(name), CRISP)
    for finding in report.findings:
        witness = finding.witness_synthetic
        if witness is not None:
            assert {r.signal for r in witness.table(finding.signals)} == set(finding.signals)
