"""Rule trees → z3 formulas over signal variables (spec §2), one profile at a time.

Each leaf becomes an atom over pool variables, as its signal kind declares it
(:meth:`policies.model.signals.Signal.solver_atom`, in the kind's module); each decision's tree is compiled once and
cached by the hash of its spec, so re-checking after an edit only compiles what changed.
Boolean structure is :func:`policies.rule_tree.fold`'s, the one the evaluator and the simulation
use, so witnesses re-evaluate to the same truth values in the engine's own evaluator. A signal is
read as the router evaluates it among its kind (:meth:`Signal.among`), and a kind whose matches
compete within a request (:meth:`Signal.contest`) has its atom restricted by the same
:class:`policies.signals.contest.Contest` the simulation applies.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import z3

from ..evaluate import LeafKey, SignalHit, leaf_key
from ..model import Decision, Policy, RuleNode, Routing, Signal
from ..model.projections import InputReading
from ..rule_tree import fold
from ..signals.contest import Entry, Z3Ops
from ..signals.settings import SignalSettings
from .pool import VarPool

def spec_hash(data: Any) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _interval(value: z3.ArithRef, predicate: dict[str, Any] | None) -> z3.BoolRef:
    """``{gt, gte, lt, lte}`` over a linear expression, as a conjunction (no bounds = true)."""
    ops = {"gt": lambda v, x: v > x, "gte": lambda v, x: v >= x, "lt": lambda v, x: v < x, "lte": lambda v, x: v <= x}
    parts = [ops[k](value, float(x)) for k, x in (predicate or {}).items() if k in ops and x is not None]
    return z3.And(parts) if parts else z3.BoolVal(True)


class Encoding:
    """The solver's view of one routing profile: atoms per leaf, a formula per decision, background B."""

    @classmethod
    def of(cls, policy: Policy, routing: Routing, pool: VarPool | None = None) -> "Encoding":
        """The encoding of ``routing`` (one of ``policy``'s profiles) with the signal settings the router reads
        from the policy's ``global`` block (embedding ``top_k``, the domain threshold)."""
        return cls(routing, pool, SignalSettings.of(policy.global_))

    def __init__(self, routing: Routing, pool: VarPool | None = None, settings: SignalSettings | None = None) -> None:
        self.routing = routing
        self.pool = pool or VarPool()
        self.settings = settings or SignalSettings()  # the config's signal settings (router defaults if None)
        self.constraints: list[z3.BoolRef] = []  # profile-level B (partitions, geometric lemmas)
        self._atoms: dict[str, z3.BoolRef] = {}
        self._formulas: dict[str, z3.BoolRef] = {}
        self._scores: dict[str, list[str]] = {}  # leaf key -> pool numbers whose maximum is the leaf's confidence
        self._partition_of: dict[str, tuple[str, str]] = {}  # member signal name -> (var name, member)
        self._building: set[str] = set()
        self._encode_partitions()

    # -- background ----------------------------------------------------------------------------
    def background(self) -> list[z3.BoolRef]:
        """B: variable ranges, exclusive groups, implications between keywords, partitions, lemmas."""
        return self.pool.background + self.constraints

    def add_lemma(self, lemma: z3.BoolRef) -> None:
        """A proved fact about signal space (e.g. two embedding caps are disjoint)."""
        self.constraints.append(lemma)

    # -- formulas ------------------------------------------------------------------------------
    def formula(self, rules: RuleNode | None) -> z3.BoolRef:
        """The decision's match condition φ (cached by spec hash)."""
        if rules is None:
            return z3.BoolVal(True)
        key = spec_hash(rules.to_spec())
        if key not in self._formulas:
            self._formulas[key] = self.compile(rules)
        return self._formulas[key]

    def decision_formula(self, decision: Decision) -> z3.BoolRef:
        return self.formula(decision.rules)

    def compile(self, node: RuleNode, override: dict[int, bool] | None = None) -> z3.BoolRef:
        """Compile a tree; ``override`` maps ``id(node)`` to a constant (used to test one branch's effect)."""
        pinned = (lambda n: z3.BoolVal(override[id(n)]) if id(n) in override else None) if override else None
        return fold(node, self, pinned)

    # -- the z3 back-end of policies.rule_tree.fold ----------------------------------------------
    def leaf(self, node: RuleNode) -> z3.BoolRef:
        return self.atom(node)

    def all_of(self, node: RuleNode, children: list[z3.BoolRef]) -> z3.BoolRef:
        return z3.And(children) if children else z3.BoolVal(True)

    def any_of(self, node: RuleNode, children: list[z3.BoolRef]) -> z3.BoolRef:
        return z3.Or(children) if children else z3.BoolVal(False)

    def negate(self, node: RuleNode, child: z3.BoolRef) -> z3.BoolRef:
        return z3.Not(child)

    def never(self, node: RuleNode, children: list[z3.BoolRef]) -> z3.BoolRef:
        return z3.BoolVal(False)

    # -- atoms ---------------------------------------------------------------------------------
    def atom(self, leaf: RuleNode) -> z3.BoolRef:
        """The leaf's truth as a formula over pool variables."""
        key = spec_hash([leaf.type, leaf.name, leaf.label, leaf.predicate])
        if key not in self._atoms:
            self._atoms[key] = self._encode_leaf(leaf)
        return self._atoms[key]

    def _score_vars(self, leaf: RuleNode) -> list[str] | None:
        self.atom(leaf)
        return self._scores.get(spec_hash([leaf.type, leaf.name, leaf.label, leaf.predicate]))

    def score_term(self, leaf: RuleNode) -> z3.ArithRef | None:
        """The leaf's confidence as an arithmetic term, for scored signals (None = crisp)."""
        names = self._score_vars(leaf)
        return self._best_term(names) if names else None

    def _best_term(self, names: list[str]) -> z3.ArithRef:
        terms = [self.pool.term(n) for n in names]
        best = terms[0]
        for t in terms[1:]:
            best = z3.If(t > best, t, best)
        return best

    def confidence(self, leaf: RuleNode, model: z3.ModelRef) -> float | None:
        """The leaf's confidence under ``model`` (None = crisp)."""
        names = self._score_vars(leaf)
        return max(self.pool.value(n, model) for n in names) if names else None

    def compile_gate(self, owner: str, spec: dict[str, Any]) -> z3.BoolRef:
        """A rule tree nested in a signal (a complexity composer) as a formula; a tree that reaches
        its own owner again is cut (true) rather than compiled forever."""
        if owner in self._building:
            return z3.BoolVal(True)
        self._building.add(owner)
        try:
            return self.compile(RuleNode.from_spec(spec))
        finally:
            self._building.discard(owner)

    def _opaque(self, leaf: RuleNode, why: str) -> z3.BoolRef:
        return self.pool.boolean(f"opaque:{leaf.type}:{leaf.name}:{leaf.label}", "opaque", f"{leaf.type} {leaf.name} ({why})",
                                 level=3)

    def _encode_leaf(self, leaf: RuleNode) -> z3.BoolRef:
        if leaf.type == "projection":
            return self._projection_output(str(leaf.name))
        signal = self.routing.evaluated_signal(str(leaf.type), str(leaf.name))
        if signal is None:  # dangling: the validator reports it; the solver must not invent a proof from it
            return self._opaque(leaf, "undeclared")
        if signal.name in self._partition_of and leaf.type in ("domain", "embedding"):
            var_name, member = self._partition_of[signal.name]
            return self.pool.is_(var_name, member)
        return self._signal_atom(leaf, signal)

    def _signal_atom(self, leaf: RuleNode, signal: Signal) -> z3.BoolRef:
        """The kind's view of the leaf (:meth:`Signal.solver_atom`) among its kind, where its contest
        keeps it (:meth:`Signal.contest`); an opaque flag it reports when the kind has no view."""
        declared = self.routing.signals.of_kind(str(leaf.type)) if self.routing.signals else []
        rivals = [d.among(declared, self.settings) for d in declared]
        signal = signal.among(declared, self.settings)
        atom, scores = self._own_atom(leaf, signal)
        contest = type(signal).contest(rivals, self.settings)
        if contest is None:
            return atom
        entries: dict[str, Entry[z3.BoolRef]] = {}
        for rival in rivals:
            fired, names = (atom, scores) if rival.name == signal.name else self._own_atom(
                RuleNode.leaf(str(leaf.type), rival.name), rival)
            rank = rival.solver_confidence(self._best_term(names)) if names else z3.RealVal(1)
            entries[rival.name] = Entry(fired, z3.BoolVal(True) if contest.entry == "scored" else fired, rank)
        return contest.kept(signal.name, entries, Z3Ops())

    def _own_atom(self, leaf: RuleNode, signal: Signal) -> tuple[z3.BoolRef, list[str]]:
        """The signal's own rule for the leaf and the pool numbers its confidence is the maximum of."""
        declared = signal.solver_atom(leaf, self)
        if declared is None:
            return self._opaque(leaf, "not modelled"), []
        atom, scores = declared
        if scores:
            self._scores[spec_hash([leaf.type, leaf.name, leaf.label, leaf.predicate])] = list(scores)
        return atom, list(scores)

    def _encode_partitions(self) -> None:
        """Exactly one member wins: a non-default winner's own signal fires; the default wins when nothing else fires
        (or when it fires itself). Which firing member scores highest is left open (a sound over-approximation)."""
        projections = self.routing.projections
        for part in (projections.partitions if projections else None) or []:
            members = [m for m in part.members or []]
            default = part.default if part.default in members else None
            if not members:
                continue
            name = f"partition:{part.name}:{spec_hash(members)[:8]}"
            var = self.pool.enum(name, f"partition {part.name}", 3, members, closed=True)
            self.pool.exactly_one(var, members)
            raw: dict[str, z3.BoolRef] = {}
            for m in members:
                signal = self.routing.find_signal("domain", m) or self.routing.find_signal("embedding", m)
                if signal is None:
                    continue
                raw[m] = self._signal_atom(RuleNode.leaf(signal.leaf_type, m), signal)
            for m, fires in raw.items():
                if m != default:
                    self.constraints.append(z3.Implies(self.pool.is_(var, m), fires))
            if default is not None:
                nothing_else = z3.And([z3.Not(f) for m, f in raw.items() if m != default])
                # the default wins exactly when no other member fires, or when it fires itself (and scores highest)
                self.constraints.append(z3.Implies(nothing_else, self.pool.is_(var, default)))
                if default in raw:
                    self.constraints.append(z3.Implies(self.pool.is_(var, default), z3.Or(raw[default], nothing_else)))
            for m in members:
                self._partition_of.setdefault(m, (name, m))

    def _projection_output(self, output: str) -> z3.BoolRef:
        """A mapping band over a weighted score (linear), or over a fresh calibrated value."""
        projections = self.routing.projections
        for mapping in (projections.mappings if projections else None) or []:
            for out in mapping.outputs or []:
                if isinstance(out, dict) and out.get("name") == output:
                    band = {k: v for k, v in out.items() if k in ("gt", "gte", "lt", "lte")}
                    if mapping.calibration:
                        value = self.pool.number(f"projection:{mapping.name}:calibrated", "real", "score",
                                                 f"calibrated {mapping.name}", 3)
                        return self.pool.interval(value, band)
                    self.pool.arithmetic = True
                    return _interval(self._score_expr(str(mapping.source), set()), band)
        return self._opaque(RuleNode.leaf("projection", output), "undefined projection output")

    def _score_expr(self, name: str, seen: set[str]) -> z3.ArithRef:
        projections = self.routing.projections
        score = next((s for s in (projections.scores if projections else None) or [] if s.name == name), None)
        if score is None or name in seen:
            return self.pool.real(f"projection:{name}:free", "score", f"score {name}", 3)
        terms: list[z3.ArithRef] = []
        for item in score.inputs or []:
            weight = float(item.get("weight", 1.0))
            kind = str(item.get("type"))
            if kind == "projection":
                value = self._score_expr(str(item.get("name")), seen | {name})
            elif kind == "kb_metric" or Signal.kind(kind) is None:
                value = self.pool.real(f"projection_input:{kind}:{item.get('name')}:{item.get('metric')}",
                                       "score", f"{kind} {item.get('name')}", 3)
            else:
                value = self._input_value(InputReading.of(item), RuleNode.leaf(kind, str(item.get("name"))))
            terms.append(weight * value)
        return z3.Sum(terms) if terms else z3.RealVal(0)

    def _input_value(self, reading: InputReading, leaf: RuleNode) -> z3.ArithRef:
        """A score input over the leaf's atom and score (:class:`InputReading`, as the simulation reads it)."""
        fires, score = self.atom(leaf), self.score_term(leaf)
        if reading.source == "raw":
            return score if score is not None else z3.RealVal(0)
        if reading.source == "confidence":
            conf = z3.If(score > 0, score, z3.RealVal(1)) if score is not None else z3.RealVal(1)
            return z3.If(fires, conf, z3.RealVal(0))
        return z3.If(fires, z3.RealVal(reading.match), z3.RealVal(reading.miss))

    # -- models back to requests ------------------------------------------------------------------
    def leaves(self) -> dict[LeafKey, RuleNode]:
        """Every leaf key the profile's decisions read."""
        out: dict[LeafKey, RuleNode] = {}
        for decision in self.routing.all_decisions():
            for _, leaf in (decision.rules.leaves() if decision.rules else []):
                out.setdefault(leaf_key(leaf), leaf)
        return out

    def state(self, model: z3.ModelRef) -> dict[LeafKey, SignalHit]:
        """The signal state a request matching ``model`` produces, for :func:`policies.evaluate.route`."""
        out: dict[LeafKey, SignalHit] = {}
        for key, leaf in self.leaves().items():
            fired = z3.is_true(model.eval(self.atom(leaf), model_completion=True))
            out[key] = SignalHit(fired, self.confidence(leaf, model))
        return out
