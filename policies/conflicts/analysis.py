"""Conflict analysis of one policy: the taxonomy of spec §5 as solver queries, per profile.

Order of work (each step reuses what the previous one learnt):
1. liveness  UNSAT(B ∧ φᵢ)                      → dead decision / impossible AND; dead OR branches
2. validity  UNSAT(B ∧ ¬φᵢ)                     → catch-all not last
3. reach     UNSAT(B ∧ φᵢ ∧ ∧_{j≻i} ¬φⱼ)         → unreachable / shadowed / redundant (minimal cover = unsat core)
4. pairs     overlap, containment               → priority tie, confidence-decided, generalization, overlap, redundancy
5. gap       SAT(B ∧ ∧ᵢ ¬φᵢ)                     → coverage gap
Precedence is :func:`policies.ranking.static_order`; where the router would compare confidence
(equal tier and priority, or ``strategy: confidence``) no precedence is assumed and the overlap is
reported as decided by confidence or by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import z3

from ..errors import Severity
from ..model import Decision, Policy, Profile, RuleNode
from ..ranking import static_order
from ..validation import validate_policy
from .encoding import Encoding
from .findings import ConflictFinding, FindingGroup, group_findings
from .pool import VarPool
from .solver import Outcome, RegionSolver
from .support import Components, support
from .witness import Witness, build_witness

VALIDATOR_KINDS = ("dangling-reference", "unused-signal")


@dataclass
class AnalysisOptions:
    timeout_ms: int = 2000  # per solver query; a timeout yields evidence "unknown"
    # an embedding_geometry.Encoder for level-2 cap tests and lemmas; "default" = the bundled ONNX encoder when its
    # model files exist (a warning says when not); None = no geometry (embedding overlaps stay "possible")
    encoder: Any = "default"
    repairs: bool = False  # attach proven repairs to pair findings (each costs a few solver proofs)


@dataclass
class ProfileReport:
    profile: Profile
    analysis: "ProfileAnalysis"
    findings: list[ConflictFinding] = field(default_factory=list)


@dataclass
class Report:
    """All findings of a policy, best first (errors, stake, share)."""

    policy: Policy
    profiles: list[ProfileReport]
    findings: list[ConflictFinding]

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def sort(self) -> None:
        self.findings.sort(key=ConflictFinding.sort_key)

    def groups(self) -> list[FindingGroup]:
        return group_findings(self.findings)


class ProfileAnalysis:
    """Solver state for one routing profile; findings come from :meth:`run`."""

    def __init__(self, policy: Policy, profile: Profile, options: AnalysisOptions | None = None,
                 encoding: Encoding | None = None) -> None:
        self.policy, self.profile = policy, profile
        self.options = options or AnalysisOptions()
        self.routing = profile.routing
        self.encoding = encoding or Encoding.of(policy, self.routing, VarPool())
        self.order: list[Decision] = static_order(self.routing.all_decisions())
        self.phi = [self.encoding.decision_formula(d) for d in self.order]
        self.actions = [d.action_key() for d in self.order]
        self._tied = self._ties()
        self.solver = RegionSolver(self.encoding, self.phi, self.options.timeout_ms)
        self.alive: list[bool] = []
        self.valid: list[bool] = []
        self.models: dict[int, z3.ModelRef] = {}  # a known model of B ∧ φₖ (reaching k when possible)
        self.unreachable: set[int] = set()
        self.geometry = None  # embedding_geometry.Geometry when an encoder was given (threshold repairs use it)
        self._support: dict[int, frozenset[str]] = {}
        self._components: Components | None = None
        self._evals: dict[tuple[int, int], bool] = {}
        self._kept: dict[int, z3.ModelRef] = {}

    # -- helpers -------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [d.name for d in self.order]

    def _ties(self) -> list[list[bool]]:
        """tied[a][b]: the router may order a and b by confidence or name rather than by static precedence."""
        confidence = self.routing.strategy_name == "confidence"
        keys = [(d.effective_tier, d.is_catch_all, d.effective_priority) for d in self.order]
        return [[ka[:2] == kb[:2] and ((confidence and not ka[1]) or ka[2] == kb[2]) for kb in keys] for ka in keys]

    def tied(self, a: int, b: int) -> bool:
        return self._tied[a][b]

    def beats(self, j: int, i: int) -> bool:
        """j always wins over i when both match."""
        return j < i and not self._tied[i][j]

    def witness_of(self, model: z3.ModelRef) -> Witness:
        return build_witness(self.encoding, model)

    def lazy_witness(self, assumptions: Sequence[z3.BoolRef], extra: Sequence[z3.BoolRef] = (),
                     model: z3.ModelRef | None = None) -> Callable[[], Witness | None]:
        def make() -> Witness | None:
            found = model
            if found is None:
                outcome = self.solver.check(assumptions, extra)
                found = outcome.model if outcome.sat else None
            return self.witness_of(self._quiet(found, assumptions, extra)) if found is not None else None
        return make

    def _quiet(self, model: z3.ModelRef, assumptions: Sequence[z3.BoolRef],
               extra: Sequence[z3.BoolRef]) -> z3.ModelRef:
        """A model of the same query with as few signals firing (then as few keywords present) as the query allows
        (greedy, at most one solver call per leaf or keyword): a witness whose example request fires only
        what the finding is about reads as that case."""
        kept, pool = list(extra), self.encoding.pool
        words = [pool.bools[name] for name, info in pool.info.items() if info.kind == "bool" and info.role == "keyword"]
        todo = [self.encoding.atom(leaf) for leaf in self.encoding.leaves().values()] + words
        while True:  # a new model may turn on an atom already passed: go round until none can be turned off
            on = [atom for atom in todo if z3.is_true(model.eval(atom, model_completion=True))]
            for atom in on:
                todo.remove(atom)
                outcome = self.solver.check(assumptions, kept + [z3.Not(atom)])
                if outcome.sat:
                    kept.append(z3.Not(atom))
                    model = outcome.model
                    break
            else:
                return model

    def support_of(self, k: int) -> frozenset[str]:
        memo = self._support
        return support(self.phi[k], memo)

    def components(self) -> Components:
        if self._components is None:
            comps = Components()
            memo: dict[int, frozenset[str]] = {}
            for constraint in self.encoding.background():
                comps.join(support(constraint, memo))
            self._components = comps
        return self._components

    def independent(self, a: int, b: int) -> bool:
        comps = self.components()
        return not (comps.of(self.support_of(a)) & comps.of(self.support_of(b)))

    def holds(self, k: int, model: z3.ModelRef) -> bool:
        """φₖ under a model (cached; models are kept alive so their ids stay unique)."""
        key = (id(model), k)
        if key not in self._evals:
            self._kept[id(model)] = model
            self._evals[key] = z3.is_true(model.eval(self.phi[k], model_completion=True))
        return self._evals[key]

    def evidence(self, indexes: Sequence[int], model: z3.ModelRef | None = None) -> str:
        """proved for crisp-only regions (L1), and for regions whose embedding atoms the model makes true when the
        cap test proves those caps intersect (L2); possible once a classifier score or an undecided cap is involved."""
        names = set().union(*(self.support_of(k) for k in indexes)) if indexes else set()
        level = self.encoding.pool.level_of(sorted(names))
        if level <= 1:
            return "proved"
        return "proved" if level == 2 and model is not None and self._caps_realise(indexes, model) else "possible"

    def _caps_realise(self, indexes: Sequence[int], model: z3.ModelRef) -> bool:
        """Every embedding leaf of the decisions fires in ``model`` and the cap test proves those caps meet
        (one cap: non-empty; two: intersecting). Crisp variables are independent of embedding space."""
        geometry = self.geometry
        leaves = {str(leaf.name) for k in indexes for _, leaf in (self.order[k].rules.leaves() if self.order[k].rules
                                                                  else []) if leaf.type == "embedding"}
        if geometry is None or len(leaves) > 2 or not leaves <= set(geometry.caps):
            return False
        if not all(z3.is_true(model.eval(self.encoding.atom(RuleNode.leaf("embedding", n)), model_completion=True))
                   for n in leaves):
            return False
        return len(leaves) < 2 or geometry.pair(*sorted(leaves)).intersects

    def signals_of(self, indexes: Sequence[int]) -> list[str]:
        out: set[str] = set()
        for k in indexes:
            rules = self.order[k].rules
            for _, leaf in (rules.leaves() if rules else []):
                out.add(f"{leaf.type}:{leaf.name}" + (f"[{leaf.label}]" if leaf.label else ""))
        return sorted(out)

    def finding(self, kind: str, severity: Severity, indexes: Sequence[int], explanation: str, *,
                evidence: str = "proved", region: tuple = ("true",), assumptions: Sequence[z3.BoolRef] = (),
                extra: Sequence[z3.BoolRef] = (), model: z3.ModelRef | None = None, with_witness: bool = True,
                signals: list[str] | None = None, **data) -> ConflictFinding:
        finding = ConflictFinding(kind, severity, self.profile.name, [self.names[k] for k in indexes], explanation,
                                  evidence, signals if signals is not None else self.signals_of(indexes), region,
                                  data=data, _query_fn=lambda: self.solver.query(assumptions, extra))
        if with_witness:
            finding._witness_fn = self.lazy_witness(assumptions, extra, model)
        return finding

    def undecided(self, kind: str, indexes: Sequence[int], what: str,
                  assumptions: Sequence[z3.BoolRef]) -> ConflictFinding:
        return self.finding(kind, Severity.WARNING, indexes, f"solver timeout: could not decide whether {what}",
                            evidence="unknown", assumptions=assumptions, with_witness=False)

    # -- the analysis --------------------------------------------------------------------------
    def run(self) -> list[ConflictFinding]:
        out: list[ConflictFinding] = []
        self._liveness(out)
        self._validity(out)
        self._reachability(out)
        self._pairs(out)
        self._gap(out)
        return out

    def _liveness(self, out: list[ConflictFinding]) -> None:
        for k, d in enumerate(self.order):
            outcome = self.solver.check([self.solver.pos[k]])
            self.alive.append(not outcome.unsat)
            if outcome.result == "unknown":
                out.append(self.undecided("dead-decision", [k], f"'{d.name}' can ever match", [self.solver.pos[k]]))
            elif outcome.unsat:
                out.append(self._dead(k))
            else:
                self.models[k] = outcome.model
                out.extend(self._dead_branches(k))

    def _minimal_dead_ands(self, rules: RuleNode) -> list[tuple[RuleNode, list[int]]]:
        """AND nodes that are unsatisfiable although each child is not, with the conflicting children."""
        result = []
        for _, node in rules.walk():
            if node.is_leaf or node.op != "AND" or len(node.conditions or []) < 2:
                continue
            children = [self.encoding.compile(c) for c in node.conditions or []]
            lits = [z3.Bool(f"__child_{i}") for i in range(len(children))]
            extra = [z3.Implies(lit, c) for lit, c in zip(lits, children)]
            core = self.solver.minimal_core([], lits, extra)
            if core is not None and len(core) >= 2:
                ids = {c.get_id() for c in core}
                result.append((node, [i for i, lit in enumerate(lits) if lit.get_id() in ids]))
        return result

    def _dead(self, k: int) -> ConflictFinding:
        d = self.order[k]
        conflicts = self._minimal_dead_ands(d.rules) if d.rules else []
        assumptions = [self.solver.pos[k]]
        if conflicts:
            node, children = conflicts[0]
            parts = [node.conditions[i].describe() for i in children]
            return self.finding("impossible-and", Severity.ERROR, [k],
                                f"decision '{d.name}' can never match: {' AND '.join(parts)} is impossible "
                                "(mutually exclusive signals)", assumptions=assumptions, with_witness=False,
                                region=("match", d.name), conflicting=parts)
        return self.finding("dead-decision", Severity.ERROR, [k],
                            f"decision '{d.name}' can never match: its rules ({d.rules.describe() if d.rules else 'TRUE'})"
                            " are unsatisfiable", assumptions=assumptions, with_witness=False, region=("match", d.name))

    def _dead_branches(self, k: int) -> list[ConflictFinding]:
        """OR branches that never change whether the decision matches (impossible, or implied by a sibling)."""
        d, out = self.order[k], []
        if d.rules is None:
            return out
        for _, node in d.rules.walk():
            if node.is_leaf or node.op != "OR" or len(node.conditions or []) < 2:
                continue
            for child in node.conditions or []:
                without = self.encoding.compile(d.rules, {id(child): False})
                changes = z3.Xor(self.phi[k], without)
                outcome = self.solver.check([], [changes])
                if not outcome.unsat:
                    continue
                alone = self.solver.check([], [self.encoding.compile(child)])
                why = "can never be true (mutually exclusive signals)" if alone.unsat else "is implied by another branch"
                out.append(self.finding("dead-branch", Severity.WARNING, [k],
                                        f"decision '{d.name}': OR branch {child.describe()} {why}, so it never changes "
                                        "whether the decision matches", extra=[changes],
                                        with_witness=False, region=("match", d.name), branch=child.describe()))
        return out

    def _validity(self, out: list[ConflictFinding]) -> None:
        for k, d in enumerate(self.order):
            if not self.alive[k]:
                self.valid.append(False)
                continue
            if d.is_catch_all:
                self.valid.append(True)
            elif any(not self.holds(k, m) for m in list(self.models.values())[:5]):
                self.valid.append(False)  # a known request falsifies φₖ: no solver call needed
            else:
                self.valid.append(self.solver.check([self.solver.neg[k]]).unsat)
        for k, d in enumerate(self.order):
            below = [i for i in range(k + 1, len(self.order)) if self.beats(k, i) and self.alive[i]]
            if self.valid[k] and below:
                out.append(self.finding(
                    "catch-all-not-last", Severity.WARNING, [k] + below,
                    f"decision '{d.name}' matches every request but ranks above {', '.join(self.names[i] for i in below)}"
                    f"; they can never win", assumptions=[self.solver.neg[k]], with_witness=False,
                    region=("match", d.name)))

    def _reachability(self, out: list[ConflictFinding]) -> None:
        for k, d in enumerate(self.order):
            if not self.alive[k]:
                continue
            higher = [j for j in range(k) if self.beats(j, k) and self.alive[j]]
            if not higher:
                continue
            model = self.models.get(k)
            if model is not None and not any(self.holds(j, model) for j in higher):
                continue
            fixed = [self.solver.pos[k]]
            outcome = self.solver.check(fixed + [self.solver.neg[j] for j in higher])
            if outcome.sat:
                self.models[k] = outcome.model
                continue
            if not outcome.unsat:
                out.append(self.undecided("unreachable", [k], f"'{d.name}' can ever win", fixed))
                continue
            core = self.solver.minimal_core(fixed, [self.solver.neg[j] for j in higher]) or []
            ids = {c.get_id() for c in core}
            cover = [j for j in higher if self.solver.neg[j].get_id() in ids]
            self.unreachable.add(k)
            out.append(self._unreachable(k, cover))

    def _unreachable(self, k: int, cover: list[int]) -> ConflictFinding:
        d, names = self.order[k], [self.names[j] for j in cover]
        assumptions = [self.solver.pos[k]] + [self.solver.neg[j] for j in cover]
        common = dict(assumptions=assumptions, with_witness=False, region=("match", d.name), cover=names)
        if all(self.actions[j] == self.actions[k] for j in cover):
            return self.finding("redundant", Severity.WARNING, [k] + cover,
                                f"decision '{d.name}' never wins, but every request it matches is already routed the "
                                f"same way by {', '.join(names)}: it can be removed", **common)
        if len(cover) == 1:
            return self.finding("shadowed", Severity.ERROR, [k] + cover,
                                f"decision '{d.name}' is unreachable: every request it matches is taken by "
                                f"'{names[0]}', which ranks first and routes differently", **common)
        return self.finding("unreachable", Severity.ERROR, [k] + cover,
                            f"decision '{d.name}' is unreachable: every request it matches is taken by one of "
                            f"{', '.join(names)} (minimal covering set; no single one covers it)", **common)

    def _pairs(self, out: list[ConflictFinding]) -> None:
        strategy = self.routing.strategy_name
        for k in range(len(self.order)):
            if not self.alive[k] or k in self.unreachable:
                continue  # dead or unreachable: already explained
            for j in range(k):
                if not self.alive[j]:
                    continue
                same = self.actions[j] == self.actions[k]
                if self.tied(j, k):
                    if not same and self._overlaps(j, k):
                        live = self._live_overlap(j, k)
                        if live is not None:
                            out.append(self._tie(j, k, strategy, *live))
                    continue
                if not self.beats(j, k):
                    continue
                if same:
                    self._redundancy(j, k, out)
                    continue
                live = self._live_overlap(j, k) if self._overlaps(j, k) else None
                if live is None:
                    continue
                outcome, pair, region = live
                evidence = self.evidence([j, k], outcome.model) if outcome.sat else "unknown"
                if self._contained(j, k):
                    if self.order[k].is_catch_all:
                        continue  # a special case above the fallback is the design, not a finding
                    out.append(self.finding(
                        "generalization", Severity.INFO, [j, k],
                        f"'{self.names[j]}' is a special case of '{self.names[k]}' and ranks first (the usual "
                        "intended exception)", evidence=evidence, assumptions=pair, region=region, model=outcome.model))
                else:
                    out.append(self.finding(
                        "overlap", Severity.WARNING, [j, k],
                        f"requests matching both '{self.names[j]}' and '{self.names[k]}' go to '{self.names[j]}' "
                        "(it ranks first); the two route differently", evidence=evidence,
                        assumptions=pair, region=region, model=outcome.model))

    def _overlaps(self, j: int, k: int) -> bool:
        """SAT(B ∧ φⱼ ∧ φₖ), answered from known models or independence when possible."""
        for m in (self.models.get(j), self.models.get(k)):
            if m is not None and self.holds(j, m) and self.holds(k, m):
                return True
        if self.independent(j, k):
            return True
        outcome = self.solver.check([self.solver.pos[j], self.solver.pos[k]])
        return not outcome.unsat  # unknown counts as a possible overlap, never as a pass

    def _live_overlap(self, j: int, k: int) -> tuple[Outcome, list[z3.BoolRef], tuple] | None:
        """The part of φⱼ ∧ φₖ no other decision can take: (outcome, assumptions, region), None when empty.

        A decision tied with ``j`` (same tier and priority) but ordered before it counts as taking
        the request: crisp ties go to the smaller name, so where it matches too the pair never meets
        (a witness there would route to that third decision, not to ``j``)."""
        higher = [m for m in range(j) if m != k and self.alive[m] and (self.beats(m, j) or self.tied(m, j))]
        assumptions = [self.solver.pos[j], self.solver.pos[k]] + [self.solver.neg[m] for m in higher]
        region = ("and", [("match", self.names[j]), ("match", self.names[k])] +
                  [("not", ("match", self.names[m])) for m in higher])
        for model in (self.models.get(j), self.models.get(k)):
            if model is not None and self.holds(j, model) and self.holds(k, model) and not any(
                    self.holds(m, model) for m in higher):
                return Outcome("sat", model), assumptions, region
        outcome = self.solver.check(assumptions)
        return None if outcome.unsat else (outcome, assumptions, region)

    def _contained(self, j: int, k: int) -> bool:
        """UNSAT(B ∧ φⱼ ∧ ¬φₖ): every request matching j also matches k."""
        if self.valid[k]:
            return True
        m = self.models.get(j)
        if m is not None and not self.holds(k, m):
            return False
        if self.independent(j, k):
            return False
        return self.solver.check([self.solver.pos[j], self.solver.neg[k]]).unsat

    def _tie(self, j: int, k: int, strategy: str, outcome: Outcome, assumptions: list[z3.BoolRef],
             region: tuple) -> ConflictFinding:
        dj, dk = self.order[j], self.order[k]
        kind = "confidence-decided" if strategy == "confidence" else "priority-tie"
        first = min(dj.name, dk.name)
        how = ("the router ranks them by confidence" if strategy == "confidence" else
               f"same tier {dj.effective_tier} and priority {dj.effective_priority}: the router decides by confidence "
               f"when every candidate is scored, else alphabetically by name ('{first}' wins)")
        return self.finding(kind, Severity.WARNING, [j, k],
                            f"'{dj.name}' and '{dk.name}' can both match and route differently; {how}",
                            evidence=self.evidence([j, k], outcome.model) if outcome.sat else "unknown",
                            assumptions=assumptions,
                            region=region, model=outcome.model)

    def _redundancy(self, j: int, k: int, out: list[ConflictFinding]) -> None:
        """j ≻ k, φⱼ ⊆ φₖ, equal action, and nothing routing differently in between overlaps φⱼ: j can go."""
        if not self._overlaps(j, k) or not self._contained(j, k):
            return
        between = [m for m in range(j + 1, k) if self.alive[m] and self.actions[m] != self.actions[j]]
        if any(self._overlaps(j, m) for m in between):
            return
        out.append(self.finding(
            "redundant", Severity.WARNING, [j, k],
            f"decision '{self.names[j]}' is redundant: every request it matches would reach '{self.names[k]}', "
            "which routes the same way", assumptions=[self.solver.pos[j], self.solver.neg[k]], with_witness=False,
            region=("match", self.names[j])))

    def _gap(self, out: list[ConflictFinding]) -> None:
        if any(self.valid):
            return
        assumptions = [self.solver.neg[k] for k in range(len(self.order)) if self.alive[k]]
        outcome = self.solver.check(assumptions)
        default = self.policy.default_model or "<no default model>"
        region = ("and", [("not", ("match", n)) for n in self.names])
        if outcome.result == "unknown":
            out.append(self.undecided("coverage-gap", [], "some request matches no decision", assumptions))
        elif outcome.sat:
            out.append(self.finding(
                "coverage-gap", Severity.WARNING, [],
                f"some requests match no decision and fall to the default model '{default}' with no plugins "
                "(no guardrails)", assumptions=assumptions, model=outcome.model, region=region,
                evidence="proved", signals=[]))


def profile_of_path(policy: Policy, path: tuple) -> tuple[str, str | None]:
    """(profile name, decision name) a validator finding's spec path points into."""
    profile, routing = "", policy.routing
    if path[:1] == ("recipes",) and len(path) > 1 and isinstance(path[1], int):
        recipe = (policy.recipes or [])[path[1]]
        profile, routing, path = recipe.name, recipe.routing, path[3:]
    else:
        path = path[1:]
    decision = None
    if path[:1] == ("decisions",) and len(path) > 1 and isinstance(path[1], int) and routing:
        decision = routing.all_decisions()[path[1]].name
    return profile, decision


def validator_findings(policy: Policy) -> list[ConflictFinding]:
    """Dangling references and unused signals, as the validator reports them (not re-implemented here)."""
    out = []
    for f in validate_policy(policy, include_import_notes=False):
        if f.code not in VALIDATOR_KINDS:
            continue
        profile, decision = profile_of_path(policy, tuple(f.path))
        signal = f.data.get("signal")
        out.append(ConflictFinding(f.code, f.severity, profile, [decision] if decision else [], f.human(),
                                   "proved", [f"{f.data.get('collection')}:{signal}"] if signal else [],
                                   data={"location": f.location(), "field": f.field}))
    return out


def analyze_policy(policy: Policy, options: AnalysisOptions | None = None, invariants: list | None = None) -> Report:
    """Every finding of every profile (top-level routing and each recipe), best first; plus user invariants."""
    from .embedding_geometry import add_lemmas, analyse_geometry, geometry_findings, resolve_encoder
    from .intent import mark_accepted
    from .invariants import check_invariants

    options = options or AnalysisOptions()
    profiles = []
    for profile in policy.profiles():
        if not profile.routing.all_decisions():
            continue
        encoding, extra, geometry = Encoding.of(policy, profile.routing, VarPool()), [], None
        signals = profile.routing.signals
        encoder = resolve_encoder(options.encoder) if signals and signals.embeddings else None
        if encoder is not None:
            geometry = analyse_geometry(profile.routing, encoder)
            add_lemmas(encoding, geometry)
        analysis = ProfileAnalysis(policy, profile, options, encoding)
        if geometry is not None:
            analysis.geometry = geometry
            extra = geometry_findings(analysis, geometry)
        profiles.append(ProfileReport(profile, analysis, analysis.run() + extra))
    findings = validator_findings(policy) + [f for p in profiles for f in p.findings]
    findings += check_invariants([p.analysis for p in profiles], invariants or [])
    mark_accepted(policy, findings)
    report = Report(policy, profiles, findings)
    if options.repairs:
        from .repairs import attach_repairs

        attach_repairs([p.analysis for p in profiles], report.findings, invariants or [])
    report.sort()
    return report


__all__ = ["AnalysisOptions", "ProfileAnalysis", "Report", "analyze_policy"]
