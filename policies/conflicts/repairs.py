"""Proven repairs (spec §7): each suggestion is applied to a copy and checked by the solver.

Locality: UNSAT(B ∧ ¬R ∧ sel_P ≠ sel_P′), i.e. routing changes only inside the conflict region R;
and, with an intended winner w, UNSAT(B ∧ R ∧ sel_P′ ≠ a_w). Both policies are encoded over one
variable pool so "the same request" means the same thing on both sides, and P′'s own background
(a new partition's exclusivity, geometric lemmas for changed thresholds) is part of B.

Candidates are dropped (:func:`why_dropped`) unless: no request a block (a decision answering without a
model, e.g. ``fast_response``) answers in P may reach a model in P′; every decision some request reaches
in P must keep one in P′ (a reorder that shadows a special case is no repair); no request of an overlap the policy
accepts as intended (:mod:`.intent`, which a reorder records) may move; no user invariant that holds in
P may break in P′. Applied in sequence, repairs therefore converge: each reorder settles its pair
for good, and no later repair can move it back.

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
from .intent import accepted_pairs, annotate
from .invariants import Invariant, check_invariant
from .pool import VarPool
from .selection import ActionIds, selected_action
from .witness import Witness, build_witness

REPAIRABLE = ("overlap", "priority-tie", "confidence-decided", "shadowed", "generalization")
COMPETING = REPAIRABLE + ("embedding-co-firing",)  # kinds a partition or threshold change can address
PARTITION_TEMPERATURE = 0.1
LOCALITY_TIMEOUT_MS = 5000  # per proof over P and P′ (twice the variables of one analysis query)


def routing_of(policy: Policy, profile: str) -> Routing:
    return next(p.routing for p in policy.profiles() if p.name == profile)


def yaml_diff(before: Policy, after: Policy) -> str:
    a, b = dump_yaml(before.to_spec()).splitlines(True), dump_yaml(after.to_spec()).splitlines(True)
    return "".join(difflib.unified_diff(a, b, "policy.yaml", "policy.repaired.yaml"))


class _Versions:
    """P and P′ of one profile over one variable pool, so "the same request" means the same on both sides.

    ``geometry`` (cap tests of the repaired profile) adds its lemmas: facts about embedding space hold for both."""

    def __init__(self, original: Policy, repaired: Policy, profile: str, timeout_ms: int,
                 geometry: Geometry | None = None) -> None:
        pool, self.ids = VarPool(), ActionIds()
        self.repaired, self.profile = repaired, profile
        self.rp, self.rq = routing_of(original, profile), routing_of(repaired, profile)
        self.enc_p, self.enc_q = Encoding.of(original, self.rp, pool), Encoding.of(repaired, self.rq, pool)
        if geometry is not None:
            add_lemmas(self.enc_q, geometry)
        self.sel_p = selected_action(self.enc_p, self.rp, original.default_model, self.ids)
        self.sel_q = selected_action(self.enc_q, self.rq, repaired.default_model, self.ids)
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self.solver.add(*self.enc_p.background(), *self.enc_q.constraints)

    def unsat(self, *extra: z3.BoolRef) -> tuple[bool | None, tuple[Witness, Witness] | None]:
        """(UNSAT?, the request as P and P′ read it when SAT); None: the solver gave up."""
        self.solver.push()
        self.solver.add(*extra)
        result = self.solver.check()
        model = self.solver.model() if result == z3.sat else None
        self.solver.pop()
        if result == z3.unknown:
            return None, None
        return result == z3.unsat, (build_witness(self.enc_p, model), build_witness(self.enc_q, model)) if model else None

    def blocked(self, routing: Routing, sel: z3.ArithRef) -> z3.BoolRef:
        """The request is answered by a decision that calls no model (a block)."""
        return z3.Or([sel == self.ids(d.action_key()) for d in routing.all_decisions() if d.answers_without_model])

    def unblocks(self) -> bool:
        """Some request a block answers in P reaches a model in P′ (or the solver could not rule it out)."""
        return self.unsat(self.blocked(self.rp, self.sel_p), z3.Not(self.blocked(self.rq, self.sel_q)))[0] is not True

    def breaks_intent(self) -> bool:
        """Some request of an overlap P's annotations accept as intended routes differently in P′."""
        for winner, other in sorted(accepted_pairs(self.rp)):
            w, o = self.rp.decision(winner), self.rp.decision(other)
            if w is None or o is None:
                continue
            region = z3.And(self.enc_p.decision_formula(w), self.enc_p.decision_formula(o),
                            self.sel_p == self.ids(w.action_key()))
            if self.unsat(region, self.sel_p != self.sel_q)[0] is not True:
                return True
        return False


def prove_locality(versions: _Versions, region: Callable[[Encoding], z3.BoolRef],
                   winner: str | None) -> tuple[bool | None, bool | None, tuple[Witness, Witness] | None]:
    """(local, winner_ok, counterexample or None); None verdicts mean the solver gave up.

    A counterexample is the request as P reads it and as P′ reads it (the two differ when P′ changes signals)."""
    inside = region(versions.enc_p)
    local, counter = versions.unsat(z3.Not(inside), versions.sel_p != versions.sel_q)
    winner_ok = None
    if winner is not None:
        target = versions.rq.decision(winner)
        winner_ok, counter_w = versions.unsat(inside, versions.sel_q != versions.ids(target.action_key()))
        counter = counter or counter_w
    return local, winner_ok, counter


def can_win(analysis: ProfileAnalysis, name: str) -> bool:
    """SAT(B ∧ φₖ ∧ ∧_{j always beats k} ¬φⱼ): some request reaches the decision (ties count as reaching it).
    Read from the analysis's own run when it has one, else asked of its solver."""
    k = analysis.names.index(name)
    if analysis.alive:
        return analysis.alive[k] and k not in analysis.unreachable
    solver = analysis.solver
    higher = [solver.neg[j] for j in range(k) if analysis.beats(j, k)]
    return not solver.check([solver.pos[k]] + higher).unsat


def strands(analysis: ProfileAnalysis, after: ProfileAnalysis) -> str | None:
    """A decision some request reaches in P and none in P′ (a repair that shadows or kills what it settles)."""
    kept = set(after.names)
    return next((name for name in analysis.names
                 if name in kept and can_win(analysis, name) and not can_win(after, name)), None)


def breaks_invariant(analysis: ProfileAnalysis, after: ProfileAnalysis, invariants: list[Invariant]) -> str | None:
    """The name of a user invariant of this profile that holds (is not violated) in P and is violated in P′."""
    for inv in invariants:
        if (inv.profile == analysis.profile.name and check_invariant(after, inv).kind == "invariant-violated"
                and check_invariant(analysis, inv).kind != "invariant-violated"):
            return inv.name
    return None


def why_dropped(analysis: ProfileAnalysis, versions: _Versions, invariants: list[Invariant]) -> str | None:
    """Why a candidate may not be offered (None: it may): it lets a block's request reach a model, changes an
    overlap the policy accepts as intended (so it would undo an earlier repair), leaves a decision that wins some
    request in P none in P′, or breaks a user invariant that held. P′ is analysed on the pair's own encoding
    (its geometric lemmas included)."""
    if versions.unblocks():
        return "a request a block answers without a model would reach a model"
    if versions.breaks_intent():
        return "it moves requests of an overlap accepted as intended"
    profile = next(p for p in versions.repaired.profiles() if p.name == versions.profile)
    after = ProfileAnalysis(versions.repaired, profile, analysis.options, versions.enc_q)
    stranded = strands(analysis, after)
    if stranded is not None:
        return f"decision '{stranded}' would never win a request"
    broken = breaks_invariant(analysis, after, invariants)
    return f"it breaks invariant '{broken}'" if broken is not None else None


def _repair(kind: str, description: str, analysis: ProfileAnalysis, copy: Policy,
            region: Callable[[Encoding], z3.BoolRef], invariants: list[Invariant], winner: str | None = None,
            geometry: Geometry | None = None) -> Repair:
    """The candidate with its locality proof and, from the same encodings, why it is dropped (if it is)."""
    policy = analysis.policy
    versions = _Versions(policy, copy, analysis.profile.name, LOCALITY_TIMEOUT_MS, geometry)
    local, winner_ok, counter = prove_locality(versions, region, winner)
    before, after = counter or (None, None)
    return Repair(kind, description, yaml_diff(policy, copy), local, winner_ok, before, copy, after,
                  why_dropped(analysis, versions, invariants))


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


def _partition_repair(analysis: ProfileAnalysis, kind: str, a: str, b: str,
                      invariants: list[Invariant]) -> Repair | None:
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
    return _repair("partition", f"add softmax-exclusive partition '{name}' over {kind} signals '{a}' and '{b}' "
                   f"(default '{a}') so at most one of them fires", analysis, copy, _both_fire(kind, a, b), invariants)


def _threshold_repair(analysis: ProfileAnalysis, a: str, b: str, invariants: list[Invariant]) -> Repair | None:
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
    return _repair("threshold", f"raise the threshold of embedding signal '{move}' to {raised} so its caps no longer "
                   f"meet those of '{keep}'", analysis, copy, _both_fire("embedding", a, b), invariants, geometry=after)


def candidate_repairs(analysis: ProfileAnalysis, finding: ConflictFinding,
                      invariants: list[Invariant] | None = None) -> list[Repair]:
    """Every edit that could settle a pair finding, each with its locality proof and ``dropped`` (why it may not be
    offered, :func:`why_dropped`; None when it may).

    A reorder also records the new winner's intent (:mod:`.intent`): the pair still overlaps, the other way
    round, and without the annotation its mirror finding would offer the reverse reorder, for ever."""
    if finding.kind not in COMPETING or len(finding.decisions) < 2 or finding.accepted:
        return []
    invariants = invariants or []
    winner, loser = _pair(analysis, finding)
    policy, profile = analysis.policy, analysis.profile.name
    repairs = []
    if finding.kind in REPAIRABLE:
        def region(enc: Encoding) -> z3.BoolRef:
            return z3.And(enc.formula(winner.rules), enc.formula(loser.rules))

        for kind, edit in (("reorder", _reorder), ("guard", _guard)):
            copy = policy.copy_policy()
            description = edit(routing_of(copy, profile), winner, loser)
            if kind == "reorder":
                annotate(copy, profile, loser.name, [winner.name])
            repairs.append(_repair(kind, description + f" so '{loser.name}' wins where both match", analysis, copy,
                                   region, invariants, loser.name))
    competing = _competing_signals(analysis, finding, winner, loser)
    if competing is not None:
        kind, a, b = competing
        repairs += [r for r in (_partition_repair(analysis, kind, a, b, invariants),
                                _threshold_repair(analysis, a, b, invariants) if kind == "embedding" else None) if r]
    return repairs


def propose_repairs(analysis: ProfileAnalysis, finding: ConflictFinding,
                    invariants: list[Invariant] | None = None) -> list[Repair]:
    """The candidates nothing drops: what the CLI and the studio offer."""
    return [r for r in candidate_repairs(analysis, finding, invariants) if r.dropped is None]


def fill_repairs(analysis: ProfileAnalysis, finding: ConflictFinding, invariants: list[Invariant] | None = None
                 ) -> list[Repair]:
    """Set ``finding.repairs`` to the offered candidates and ``finding.data["not_offered"]`` to the dropped ones
    (kind, description, why), so a report can say why none is offered; returns the offered ones."""
    candidates = candidate_repairs(analysis, finding, invariants)
    finding.repairs = [r for r in candidates if r.dropped is None]
    dropped = [{"kind": r.kind, "description": r.description, "why": r.dropped} for r in candidates if r.dropped]
    if dropped:
        finding.data["not_offered"] = dropped
    return finding.repairs


def attach_repairs(analyses: list[ProfileAnalysis], findings: list[ConflictFinding],
                   invariants: list[Invariant] | None = None) -> None:
    """:func:`fill_repairs` for every finding."""
    by_profile = {a.profile.name: a for a in analyses}
    for finding in findings:
        analysis = by_profile.get(finding.profile)
        if analysis is not None:
            fill_repairs(analysis, finding, invariants)
