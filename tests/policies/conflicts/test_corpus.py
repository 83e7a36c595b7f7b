"""The fixture corpus: each policy is built to contain (or be free of) one finding kind; findings are exact."""

from __future__ import annotations

import pytest

from policies.conflicts import analyze_policy
from policies.errors import Severity

from .conftest import CRISP, FIXTURES, assert_witness_replays, fixture, summary

EXPECTED: dict[str, set[tuple]] = {
    "dead_domain_and": {("impossible-and", "error", ("math_and_law",))},
    "dead_two_languages": {("impossible-and", "error", ("bilingual",))},
    "dead_context_bands": {("impossible-and", "error", ("short_and_long",))},
    "dead_complexity_levels": {("impossible-and", "error", ("easy_and_hard",))},
    "dead_partition_members": {("impossible-and", "error", ("billing_and_tech",))},
    "dead_empty_keywords": {("dead-decision", "error", ("never",))},
    "dead_branch": {("dead-branch", "warning", ("escalate",))},
    "catch_all_not_last": {("shadowed", "error", ("coding", "everything")),
                           ("catch-all-not-last", "warning", ("everything", "coding"))},
    "tier_catch_all": {("shadowed", "error", ("coding", "general")),
                       ("catch-all-not-last", "warning", ("general", "coding"))},
    "shadowed_pair": {("shadowed", "error", ("hard_math", "all_math"))},
    # minimal cover: urgent_requests overlaps stem_route but is not needed to cover it
    "unreachable_union": {("unreachable", "error", ("stem_route", "math_route", "physics_route"))},
    "redundant_union": {("redundant", "warning", ("refunds_again", "refunds"))},
    "redundant_earlier": {("redundant", "warning", ("refund_requests", "money_talk"))},
    "generalization": {("generalization", "info", ("hard_math", "all_math"))},
    "keyword_vs_embedding": {("overlap", "warning", ("billing_bot", "invoice_keyword"))},
    "priority_tie": {("priority-tie", "warning", ("aa_long", "zz_code"))},
    "tie_disjoint": set(),
    "confidence_strategy": {("confidence-decided", "warning", ("math_route", "code_route"))},
    "coverage_gap": {("coverage-gap", "warning", ())},
    "clean_partition": set(),
    "shared_signal_disjoint": set(),  # the baseline's same-signal-guard false positive
    # the router gives a label to the last rule listing it (buildCategoryNameMappings): quant takes math
    "domain_shared_category": {("dead-decision", "error", ("math_tutor",))},
    "same_signal_guard": {("shadowed", "error", ("guarded_code", "any_code")),
                          ("generalization", "info", ("long_code", "any_code"))},
    "dangling_reference": {("dangling-reference", "error", ("coding",))},
    "unused_signal": {("unused-signal", "warning", ())},
    "keyword_containment": {("shadowed", "error", ("refund_desk", "money_desk"))},
    "metadata_exists_shadows_equals": {("shadowed", "error", ("eu_only", "tenants"))},
    "projection_bands": set(),
    "recipe_shadowed": {("shadowed", "error", ("urgent_help", "any_help"))},
    "pii_allow_list": {("shadowed", "error", ("ids", "strict"))},
}


def test_corpus_is_complete() -> None:
    assert {p.stem for p in FIXTURES.glob("*.yaml")} == set(EXPECTED)
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_findings(name: str) -> None:
    policy = fixture(name)
    report = analyze_policy(policy, CRISP)
    assert summary(report.findings) == EXPECTED[name]
    assert report.has_errors == any(sev == "error" for _, sev, _ in EXPECTED[name])
    for finding in report.findings:
        assert finding.witness_synthetic is None or finding.kind != "dead-decision"
        if finding.kind in ("overlap", "generalization", "priority-tie", "confidence-decided", "coverage-gap"):
            assert_witness_replays(policy, finding)


def test_recipe_finding_names_its_profile() -> None:
    (finding,) = analyze_policy(fixture("recipe_shadowed"), CRISP).findings
    assert finding.profile == "support"


def test_evidence_levels() -> None:
    crisp = analyze_policy(fixture("priority_tie"), CRISP).findings[0]
    neural = analyze_policy(fixture("keyword_vs_embedding"), CRISP).findings[0]
    assert (crisp.evidence, neural.evidence) == ("proved", "possible")
    dead = analyze_policy(fixture("dead_domain_and"), CRISP).findings[0]
    assert dead.evidence == "proved" and "math" in dead.explanation.lower()


def test_finding_record_fields() -> None:
    finding = analyze_policy(fixture("priority_tie"), CRISP).findings[0]
    record = finding.to_dict()
    assert record["id"] == analyze_policy(fixture("priority_tie"), CRISP).findings[0].id  # stable
    assert "(check-sat)" in record["smtlib"] and "declare-fun" in record["smtlib"]
    assert record["witness_synthetic"]["request"]["text"] == "python"
    assert record["witness_synthetic"]["request"]["tokens"] >= 8000
    assert finding.severity is Severity.WARNING


def test_timeout_yields_unknown_not_pass() -> None:
    from policies.conflicts import AnalysisOptions

    report = analyze_policy(fixture("shadowed_pair"), AnalysisOptions(timeout_ms=1))
    # with a 1 ms budget every answer is either decided or reported as unknown, never silently dropped
    # (which checks run out of time depends on the machine's load: any may be unknown, none may be a
    # guess, and the shadowing is there either way)
    kinds = {(f.kind, f.evidence) for f in report.findings}
    assert {evidence for _, evidence in kinds} <= {"proved", "unknown"}, kinds
    assert ("shadowed", "proved") in kinds or any(evidence == "unknown" for _, evidence in kinds), kinds
    full = {(f.kind, f.evidence) for f in analyze_policy(fixture("shadowed_pair"), AnalysisOptions()).findings}
    assert {kind for kind, evidence in kinds if evidence == "proved"} <= {kind for kind, _ in full}
