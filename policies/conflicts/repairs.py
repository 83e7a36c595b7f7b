"""Proven repairs (spec §7): each suggestion is applied to a copy and checked by the solver.

Locality: UNSAT(B ∧ ¬R ∧ sel_P ≠ sel_P′), i.e. routing changes only inside the conflict region R;
and, with an intended winner w, UNSAT(B ∧ R ∧ sel_P′ ≠ a_w). Both policies are encoded over one
variable pool so "the same request" means the same thing on both sides.
"""

from __future__ import annotations

import difflib
from typing import Callable

import z3

from ..model import Decision, Policy, RuleNode, Routing
from ..yaml_source import dump_yaml
from .analysis import ProfileAnalysis
from .encoding import Encoding
from .findings import ConflictFinding, Repair
from .pool import VarPool
from .selection import ActionIds, selected_action
from .witness import build_witness

REPAIRABLE = ("overlap", "priority-tie", "confidence-decided", "shadowed", "generalization")


def routing_of(policy: Policy, profile: str) -> Routing:
    return next(p.routing for p in policy.profiles() if p.name == profile)


def yaml_diff(before: Policy, after: Policy) -> str:
    a, b = dump_yaml(before.to_spec()).splitlines(True), dump_yaml(after.to_spec()).splitlines(True)
    return "".join(difflib.unified_diff(a, b, "policy.yaml", "policy.repaired.yaml"))


def prove_locality(original: Policy, repaired: Policy, profile: str, region: Callable[[Encoding], z3.BoolRef],
                   winner: str | None = None, timeout_ms: int = 5000) -> tuple[bool | None, bool | None, object]:
    """(local, winner_ok, counterexample witness or None); None entries mean the solver gave up."""
    pool, ids = VarPool(), ActionIds()
    rp, rq = routing_of(original, profile), routing_of(repaired, profile)
    enc_p, enc_q = Encoding(rp, pool), Encoding(rq, pool)
    sel_p = selected_action(enc_p, rp, original.default_model, ids)
    sel_q = selected_action(enc_q, rq, repaired.default_model, ids)
    inside = region(enc_p)
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*enc_p.background(), *enc_q.constraints)

    def unsat(*extra: z3.BoolRef) -> tuple[bool | None, object]:
        solver.push()
        solver.add(*extra)
        result = solver.check()
        model = solver.model() if result == z3.sat else None
        solver.pop()
        if result == z3.unknown:
            return None, None
        return result == z3.unsat, build_witness(enc_q, model) if model is not None else None

    local, counter = unsat(z3.Not(inside), sel_p != sel_q)
    winner_ok = None
    if winner is not None:
        target = rq.decision(winner)
        winner_ok, counter_w = unsat(inside, sel_q != ids(target.action_key()))
        counter = counter or counter_w
    return local, winner_ok, counter


def _pair(analysis: ProfileAnalysis, finding: ConflictFinding) -> tuple[Decision, Decision]:
    """(currently winning, currently losing) decisions of a pair finding."""
    first, second = (analysis.routing.decision(n) for n in finding.decisions[:2])
    return (second, first) if finding.kind == "shadowed" else (first, second)


def _reorder(copy: Routing, winner: Decision, loser: Decision) -> str:
    promoted = copy.decision(loser.name)
    promoted.tier = winner.tier if winner.effective_tier != loser.effective_tier else promoted.tier
    promoted.priority = winner.effective_priority + 1
    return f"raise '{loser.name}' to priority {promoted.priority}" + (
        f" and tier {winner.effective_tier}" if winner.effective_tier != loser.effective_tier else "")


def _guard(copy: Routing, winner: Decision, loser: Decision) -> str:
    guarded = copy.decision(winner.name)
    negated = RuleNode.negate(loser.rules or RuleNode.all_of())
    rules = winner.rules
    if rules is not None and not rules.is_leaf and rules.op == "AND":
        guarded.rules = RuleNode.all_of(*rules.children(), negated)
    else:
        guarded.rules = RuleNode.all_of(*([rules] if rules else []), negated)
    return f"guard '{winner.name}' with AND NOT ({(loser.rules or RuleNode.all_of()).describe()})"


def propose_repairs(analysis: ProfileAnalysis, finding: ConflictFinding) -> list[Repair]:
    """Reorder and guard repairs that let the currently losing decision win in the conflict region, proved."""
    if finding.kind not in REPAIRABLE or len(finding.decisions) < 2:
        return []
    winner, loser = _pair(analysis, finding)
    policy, profile = analysis.policy, analysis.profile.name

    def region(enc: Encoding) -> z3.BoolRef:
        return z3.And(enc.formula(winner.rules), enc.formula(loser.rules))

    repairs = []
    for kind, edit in (("reorder", _reorder), ("guard", _guard)):
        copy = policy.copy_policy()
        description = edit(routing_of(copy, profile), winner, loser)
        local, winner_ok, counter = prove_locality(policy, copy, profile, region, loser.name)
        repairs.append(Repair(kind, description + f" so '{loser.name}' wins where both match", yaml_diff(policy, copy),
                              local, winner_ok, counter if not (local and winner_ok) else None, copy))
    return repairs


def attach_repairs(analyses: list[ProfileAnalysis], findings: list[ConflictFinding]) -> None:
    """Fill ``finding.repairs`` for every repairable finding."""
    by_profile = {a.profile.name: a for a in analyses}
    for finding in findings:
        analysis = by_profile.get(finding.profile)
        if analysis is not None:
            finding.repairs = propose_repairs(analysis, finding)
