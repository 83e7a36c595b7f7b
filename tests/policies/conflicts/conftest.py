"""Shared helpers: load fixtures and replay witnesses through the engine's own evaluator."""

from __future__ import annotations

from pathlib import Path

from policies.conflicts import AnalysisOptions, ConflictFinding
from policies.evaluate import route
from policies.loader import load_policy
from policies.model import Policy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conflicts"
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data" / "policies"
# level 1 only: expectations must not depend on whether the bundled encoder's model files are present
CRISP = AnalysisOptions(encoder=None)


def fixture(name: str) -> Policy:
    return load_policy(FIXTURES / f"{name}.yaml")


def summary(findings: list[ConflictFinding]) -> set[tuple]:
    return {(f.kind, f.severity.value, tuple(f.decisions)) for f in findings}


def assert_witness_replays(policy: Policy, finding: ConflictFinding) -> None:
    """The synthetic witness, evaluated by policies.evaluate.route, triggers exactly what the finding claims."""
    witness = finding.witness_synthetic
    assert witness is not None, finding.kind
    routing = next(p.routing for p in policy.profiles() if p.name == finding.profile)
    result = route(routing, witness.state, policy.default_model)
    names = finding.decisions
    if finding.kind == "coverage-gap":
        assert result.winner is None and result.model == policy.default_model
    elif finding.kind in ("overlap", "generalization"):
        assert result.trees[names[0]].value and result.trees[names[1]].value
        assert result.decision_name == names[0]
    elif finding.kind in ("priority-tie", "confidence-decided"):
        assert result.trees[names[0]].value and result.trees[names[1]].value
        assert result.decision_name in names
    elif finding.kind == "invariant-violated":
        assert result.decision_name == (names[0] if names else None)
    else:
        raise AssertionError(f"no replay rule for {finding.kind}")
