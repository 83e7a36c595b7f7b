"""Overlaps accepted as intended, stored in the policy file itself so the CLI and the studio agree.

Where: a decision's ``annotations`` mapping, key :data:`ACCEPTED_KEY`, listing the decisions whose
shared requests this decision is meant to take::

    - name: block_jailbreak
      annotations: {routing-studio/accepted-overlaps: [code_help, crisis_support]}

Why there: vllm-sr 0.4.0's schema (``cli/config_schema/router-config-v0.3.schema.json``, the
``Decision`` object) admits ``annotations`` as a free ``object`` while rejecting every other
unknown key of a decision (``metadata``, ``labels``, ``x-…``), and the router reads nothing from it
to route; ``tests/policies/conflicts/test_cli.py`` runs vllm-sr's own validator on an annotated
file (and on one annotated under ``metadata``, which it rejects). A YAML comment would not survive the canonical dump every edit goes through.

Meaning: the pair (winner, other) is intended when *winner*'s list names *other* and *winner* is
the decision the finding says takes the shared requests (``finding.decisions[0]``). If a later edit
makes *other* rank first, the annotation no longer matches and the finding is active again: the
intent was "winner wins", not "ignore these two".

A decision that *answers without a model* (:func:`policies.simulation.outcomes.answers_without_model`,
a ``fast_response`` block) is what repairs must never let a model-bound decision overtake.
"""

from __future__ import annotations

from typing import Iterable

from ..model import Decision, Policy, Routing
from .findings import ConflictFinding

ACCEPTED_KEY = "routing-studio/accepted-overlaps"
# Pair findings whose first decision takes the shared requests (ties: the one the router picks by name).
ACCEPTABLE = ("overlap", "generalization", "priority-tie", "confidence-decided")


def accepted_others(decision: Decision) -> list[str]:
    """The decisions ``decision`` is meant to win over (its annotation; empty without one)."""
    annotations = decision.extra_fields().get("annotations")
    names = annotations.get(ACCEPTED_KEY) if isinstance(annotations, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else []


def accepted_pairs(routing: Routing) -> set[tuple[str, str]]:
    """Every (winner, other) the routing's annotations declare intended."""
    return {(d.name, other) for d in routing.all_decisions() for other in accepted_others(d)}


def is_accepted(finding: ConflictFinding, pairs: set[tuple[str, str]]) -> bool:
    return finding.kind in ACCEPTABLE and len(finding.decisions) == 2 and tuple(finding.decisions) in pairs


def _routing(policy: Policy, profile: str) -> Routing:
    return next(p.routing for p in policy.profiles() if p.name == profile)


def annotate(policy: Policy, profile: str, winner: str, others: Iterable[str]) -> None:
    """Add ``others`` to ``winner``'s accepted list, in place (an edit of a copy: see :func:`accept`)."""
    decision = _routing(policy, profile).decision(winner)
    current = accepted_others(decision)
    annotations = dict(decision.extra_fields().get("annotations") or {})
    annotations[ACCEPTED_KEY] = current + [o for o in others if o not in current]
    decision.annotations = annotations  # an extra field: written back verbatim by to_spec


def accept_overlap(policy: Policy, finding: ConflictFinding) -> Policy:
    """A copy of ``policy`` with ``finding``'s overlap accepted as intended."""
    if finding.kind not in ACCEPTABLE or len(finding.decisions) != 2:
        raise ValueError(f"a {finding.kind} finding cannot be accepted as intended (only {', '.join(ACCEPTABLE)})")
    copy = policy.copy_policy()
    annotate(copy, finding.profile, finding.decisions[0], finding.decisions[1:])
    return copy


def mark_accepted(policy: Policy, findings: list[ConflictFinding]) -> None:
    """Set ``finding.accepted`` from the policy's annotations."""
    pairs = {p.name: accepted_pairs(p.routing) for p in policy.profiles()}
    for finding in findings:
        finding.accepted = is_accepted(finding, pairs.get(finding.profile, set()))
