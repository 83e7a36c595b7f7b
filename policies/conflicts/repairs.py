"""Proven repairs (spec §7): each suggestion is applied to a copy and checked by the solver.

Locality: UNSAT(B ∧ ¬R ∧ sel_P ≠ sel_P′), i.e. routing changes only inside the conflict region R;
and, with an intended winner w, UNSAT(B ∧ R ∧ sel_P′ ≠ a_w). Both policies are encoded over one
variable pool so "the same request" means the same thing on both sides, and P′'s own background
(a new partition's exclusivity, geometric lemmas for changed thresholds) is part of B.

Four edits: *reorder* and *guard* let the losing decision win where both match; *partition* puts
two competing embedding (or domain) signals in a softmax-exclusive partition, so at most one of
them fires; *threshold* raises one embedding threshold just past the point where the two caps
separate. The last two change what a signal means, so they are usually not local (requests
firing neither signal, or only the shrunk one, move too): the proof then says so with a
counterexample, and traffic shows how many rows moved.
"""

from __future__ import annotations

import difflib
from typing import Callable

import z3

from ..model import Decision, Partition, Policy, Projections, RuleNode, Routing
from ..yaml_source import dump_yaml
from .analysis import ProfileAnalysis
from .embedding_geometry import Geometry, add_lemmas, analyse_geometry
from .encoding import Encoding
from .findings import ConflictFinding, Repair
from .pool import VarPool
from .selection import ActionIds, selected_action
from .witness import Witness, build_witness

REPAIRABLE = ("overlap", "priority-tie", "confidence-decided", "shadowed", "generalization")
COMPETING = REPAIRABLE + ("embedding-co-firing",)  # kinds a partition or threshold change can address
PARTITION_TEMPERATURE = 0.1


def routing_of(policy: Policy, profile: str) -> Routing:
    return next(p.routing for p in policy.profiles() if p.name == profile)


def yaml_diff(before: Policy, after: Policy) -> str:
    a, b = dump_yaml(before.to_spec()).splitlines(True), dump_yaml(after.to_spec()).splitlines(True)
    return "".join(difflib.unified_diff(a, b, "policy.yaml", "policy.repaired.yaml"))


def prove_locality(original: Policy, repaired: Policy, profile: str, region: Callable[[Encoding], z3.BoolRef],
                   winner: str | None = None, timeout_ms: int = 5000,
                   geometry: Geometry | None = None) -> tuple[bool | None, bool | None, tuple[Witness, Witness] | None]:
    """(local, winner_ok, counterexample or None); None verdicts mean the solver gave up.

    A counterexample is the request as P reads it and as P′ reads it (the two differ when P′ changes signals).

    ``geometry`` (cap tests of the repaired profile) adds its lemmas: facts about embedding space hold for both."""
    pool, ids = VarPool(), ActionIds()
    rp, rq = routing_of(original, profile), routing_of(repaired, profile)
    enc_p, enc_q = Encoding(rp, pool), Encoding(rq, pool)
    if geometry is not None:
        add_lemmas(enc_q, geometry)
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
        return result == z3.unsat, (build_witness(enc_p, model), build_witness(enc_q, model)) if model else None

    local, counter = unsat(z3.Not(inside), sel_p != sel_q)
    winner_ok = None
    if winner is not None:
        target = rq.decision(winner)
        winner_ok, counter_w = unsat(inside, sel_q != ids(target.action_key()))
        counter = counter or counter_w
    return local, winner_ok, counter


def _repair(kind: str, description: str, policy: Policy, copy: Policy, local: bool | None, winner_ok: bool | None,
            counter: tuple[Witness, Witness] | None) -> Repair:
    before, after = counter or (None, None)
    return Repair(kind, description, yaml_diff(policy, copy), local, winner_ok, before, copy, after)


def _pair(analysis: ProfileAnalysis, finding: ConflictFinding) -> tuple[Decision, Decision]:
    """(currently winning, currently losing) decisions of a pair finding."""
    first, second = (analysis.routing.decision(n) for n in finding.decisions[:2])
    return (second, first) if finding.kind == "shadowed" else (first, second)


def _reorder(copy: Routing, winner: Decision, loser: Decision) -> str:
    promoted = copy.decision(loser.name)
    if winner.effective_tier != loser.effective_tier:  # assigning an unchanged None would write `tier: null`
        promoted.tier = winner.tier
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


def _competing_signals(analysis: ProfileAnalysis, finding: ConflictFinding, winner: Decision,
                       loser: Decision) -> tuple[str, str, str] | None:
    """(leaf type, winner's signal, loser's signal): two distinct embedding or domain signals, one per decision."""
    if finding.kind == "embedding-co-firing":
        a, b = (s.partition(":")[2] for s in finding.signals[:2])
        used_by_winner = any(leaf.name == a for _, leaf in (winner.rules.leaves() if winner.rules else []))
        return ("embedding", a, b) if used_by_winner else ("embedding", b, a)
    for kind in ("embedding", "domain"):
        ours = [str(leaf.name) for _, leaf in (winner.rules.leaves() if winner.rules else []) if leaf.type == kind]
        theirs = [str(leaf.name) for _, leaf in (loser.rules.leaves() if loser.rules else []) if leaf.type == kind]
        pair = next(((a, b) for a in ours for b in theirs if a != b), None)
        if pair:
            return (kind, *pair)
    return None


def _both_fire(kind: str, a: str, b: str) -> Callable[[Encoding], z3.BoolRef]:
    """R for signal-level repairs: both signals fire on their own (in the original policy's encoding)."""
    return lambda enc: z3.And(enc.atom(RuleNode.leaf(kind, a)), enc.atom(RuleNode.leaf(kind, b)))


def _partition_repair(analysis: ProfileAnalysis, kind: str, a: str, b: str) -> Repair | None:
    """Members a, b (default a: requests firing neither now count as a, which the locality proof reports)."""
    policy, profile = analysis.policy, analysis.profile.name
    existing = {m for p in ((analysis.routing.projections.partitions or []) if analysis.routing.projections else [])
                for m in p.members or []}
    if {a, b} & existing:
        return None
    copy = policy.copy_policy()
    routing = routing_of(copy, profile)
    routing.projections = routing.projections or Projections()
    name = f"{a}_vs_{b}"
    routing.projections.partitions = (routing.projections.partitions or []) + [Partition(
        name=name, semantics="softmax_exclusive", temperature=PARTITION_TEMPERATURE, members=[a, b], default=a)]
    local, _, counter = prove_locality(policy, copy, profile, _both_fire(kind, a, b))
    return _repair("partition", f"add softmax-exclusive partition '{name}' over {kind} signals '{a}' and '{b}' "
                   f"(default '{a}') so at most one of them fires", policy, copy, local, None, counter)


def _threshold_repair(analysis: ProfileAnalysis, a: str, b: str) -> Repair | None:
    """Raise whichever threshold needs the smaller change so the two signals' caps become disjoint."""
    geometry, routing = analysis.geometry, analysis.routing
    if geometry is None or a not in geometry.caps or b not in geometry.caps:
        return None
    options = []
    for keep, move in ((a, b), (b, a)):
        raised = geometry.raised_threshold(routing, keep, move)
        if raised is not None:
            current = routing.find_signal("embedding", move).effective_threshold()
            options.append((raised - current, raised, keep, move))
    if not options:
        return None
    _, raised, keep, move = min(options)
    policy, profile = analysis.policy, analysis.profile.name
    copy = policy.copy_policy()
    routing_of(copy, profile).find_signal("embedding", move).threshold = raised
    after = analyse_geometry(routing_of(copy, profile), geometry.encoder)
    local, _, counter = prove_locality(policy, copy, profile, _both_fire("embedding", a, b), geometry=after)
    return _repair("threshold", f"raise the threshold of embedding signal '{move}' to {raised} so its caps no longer "
                   f"meet those of '{keep}'", policy, copy, local, None, counter)


def propose_repairs(analysis: ProfileAnalysis, finding: ConflictFinding) -> list[Repair]:
    """Every applicable repair of a pair finding, each with its locality proof."""
    if finding.kind not in COMPETING or len(finding.decisions) < 2:
        return []
    winner, loser = _pair(analysis, finding)
    policy, profile = analysis.policy, analysis.profile.name
    repairs = []
    if finding.kind in REPAIRABLE:
        def region(enc: Encoding) -> z3.BoolRef:
            return z3.And(enc.formula(winner.rules), enc.formula(loser.rules))

        for kind, edit in (("reorder", _reorder), ("guard", _guard)):
            copy = policy.copy_policy()
            description = edit(routing_of(copy, profile), winner, loser)
            local, winner_ok, counter = prove_locality(policy, copy, profile, region, loser.name)
            repairs.append(_repair(kind, description + f" so '{loser.name}' wins where both match", policy, copy,
                                   local, winner_ok, counter))
    competing = _competing_signals(analysis, finding, winner, loser)
    if competing is not None:
        kind, a, b = competing
        repairs += [r for r in (_partition_repair(analysis, kind, a, b),
                                _threshold_repair(analysis, a, b) if kind == "embedding" else None) if r]
    return repairs


def attach_repairs(analyses: list[ProfileAnalysis], findings: list[ConflictFinding]) -> None:
    """Fill ``finding.repairs`` for every repairable finding."""
    by_profile = {a.profile.name: a for a in analyses}
    for finding in findings:
        analysis = by_profile.get(finding.profile)
        if analysis is not None:
            finding.repairs = propose_repairs(analysis, finding)
