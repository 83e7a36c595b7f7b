"""Every example policy in sample_data/policies is analysed; each finding is asserted as intended."""

from __future__ import annotations

import pytest

from policies.conflicts import analyze_policy
from policies.loader import load_policy

from .conftest import CRISP, SAMPLES, assert_witness_replays, summary

OVERLAP, GAP = "overlap", ("coverage-gap", "warning", ())

# Overlaps are by design (priorities order them); none is an error, and exclusive domains never tie.
EXPECTED = {
    "cost_optimised": {GAP} | {(OVERLAP, "warning", pair) for pair in [
        ("hard_stem_or_code", "everyday_code"), ("long_documents", "everyday_code"),
        ("long_documents", "hard_math"), ("long_documents", "hard_stem_or_code")]},
    # domains sit in a softmax-exclusive partition: equal-priority experts never tie
    "multi_domain_experts": {(OVERLAP, "warning", ("data_analysis", d)) for d in [
        "business_expert", "computing_expert", "humanities_expert", "math_expert", "science_expert"]},
    "privacy_regulated": {GAP} | {(OVERLAP, "warning", pair) for pair in [
        ("clinical_questions", "eu_data_residency"), ("eu_data_residency", "legal_hosted"),
        ("personal_data_local", "clinical_questions"), ("personal_data_local", "eu_data_residency"),
        ("personal_data_local", "legal_hosted")]},
    "safety_first": {GAP} | {(OVERLAP, "warning", pair) for pair in [
        ("block_jailbreak", "block_sensitive_ids"), ("block_jailbreak", "code_help"),
        ("block_jailbreak", "crisis_support"), ("block_sensitive_ids", "code_help"),
        ("block_sensitive_ids", "crisis_support"), ("crisis_support", "code_help")]},
}


def test_all_samples_covered() -> None:
    assert {p.stem for p in SAMPLES.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_findings(name: str) -> None:
    policy = load_policy(SAMPLES / f"{name}.yaml")
    report = analyze_policy(policy, CRISP)
    assert summary(report.findings) == EXPECTED[name]
    assert not report.has_errors
    for finding in report.findings:
        assert_witness_replays(policy, finding)
