"""Validation: every check vllm-sr 0.4.0 makes, plus what it wrongly accepts (spec §13).

``validate_policy`` returns located findings; it never raises on a loaded policy. Import notes
(what a dialect importer renamed or could not carry) are included so one list tells the story.
"""

from __future__ import annotations

from ..errors import Finding, sort_findings
from ..model import Policy
from . import (actions, backend_pool, pydantic_rules, recipes, rules, schema, signal_values,  # noqa: F401
               structure, usage)  # (importing registers the checks)
from .base import MAX_RULE_DEPTH, MAX_RULE_NODES, POLICY_CHECKS, PROFILE_CHECKS, Context


def validate_policy(policy: Policy, include_import_notes: bool = True) -> list[Finding]:
    """All findings for ``policy``, errors first, each with file/line/column when known."""
    findings: list[Finding] = list(policy.import_notes) if include_import_notes else []
    for check in POLICY_CHECKS:
        findings.extend(policy.locate(f) for f in check(policy))
    for profile in policy.profiles():
        ctx = Context(policy, profile)
        for check in PROFILE_CHECKS:
            findings.extend(policy.locate(f) for f in check(ctx))
    return sort_findings(findings)


__all__ = ["MAX_RULE_DEPTH", "MAX_RULE_NODES", "validate_policy"]
