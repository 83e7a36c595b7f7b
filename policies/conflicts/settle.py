"""Apply proposed repairs in sequence until no repairable finding is left (issue 14, item 1).

Each step takes the first active finding a repair can address (report order: errors, stake, share),
applies its first admissible repair (:func:`.repairs.propose_repairs` has already dropped the ones
that unblock a request, move an accepted overlap or break an invariant) or, when none is left and
the finding is a pair overlap, accepts it as intended (:mod:`.intent`). A finding with neither is
left as it is. What a designer does by hand in the studio, in order; tests use it to prove that
repairs converge, and it prints the before/after of a policy's findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..model import Policy
from .analysis import AnalysisOptions, Report, analyze_policy
from .findings import ConflictFinding
from .intent import ACCEPTABLE, accept_overlap
from .invariants import Invariant
from .repairs import REPAIRABLE, propose_repairs


@dataclass
class Step:
    finding: str  # "kind: a, b"
    action: str  # "repair (<kind>): <description>" or "accepted as intended"
    policy: Policy


@dataclass
class Settled:
    before: Report
    after: Report
    steps: list[Step] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # findings no repair and no acceptance could settle


def counts(report: Report) -> Counter:
    """Findings by kind; accepted ones counted apart as '<kind> (accepted)'."""
    return Counter(f.kind + (" (accepted)" if f.accepted else "") for f in report.findings)


def finding_label(finding: ConflictFinding) -> str:
    where = f" [{finding.profile}]" if finding.profile else ""
    return f"{finding.kind}{where}: {', '.join(finding.decisions)}"


def settle(policy: Policy, invariants: list[Invariant] | None = None, options: AnalysisOptions | None = None,
           max_steps: int = 200) -> Settled:
    """Repair (or accept) repairable findings one at a time; raises RuntimeError on a cycle (a policy seen before)
    or when ``max_steps`` pass without settling."""
    options = options or AnalysisOptions()
    invariants = invariants or []
    report = before = analyze_policy(policy, options, invariants)
    seen, steps, left = {repr(policy.to_spec())}, [], []
    for _ in range(max_steps):
        todo = [f for f in report.findings
                if f.kind in REPAIRABLE and not f.accepted and finding_label(f) not in left]
        if not todo:
            return Settled(before, report, steps, left)
        finding = todo[0]
        analysis = next(p.analysis for p in report.profiles if p.profile.name == finding.profile)
        repairs = [r for r in propose_repairs(analysis, finding, invariants) if r.policy is not None]
        if repairs:
            policy, action = repairs[0].policy, f"repair ({repairs[0].kind}): {repairs[0].description}"
        elif finding.kind in ACCEPTABLE:
            policy, action = accept_overlap(policy, finding), "accepted as intended"
        else:
            left.append(finding_label(finding))
            continue
        key = repr(policy.to_spec())
        if key in seen:
            raise RuntimeError(f"repairs cycle: '{action}' on {finding_label(finding)} returns to an earlier policy")
        seen.add(key)
        steps.append(Step(finding_label(finding), action, policy))
        report = analyze_policy(policy, options, invariants)
    raise RuntimeError(f"repairs did not settle in {max_steps} steps")
