"""Rule trees → z3 formulas over signal variables (spec §2), one profile at a time.

Each leaf becomes an atom over pool variables; each decision's tree is compiled once and
cached by the hash of its spec, so re-checking after an edit only compiles what changed.
Boolean structure is :func:`policies.rule_tree.fold`'s, the one the evaluator and the simulation
use, so witnesses re-evaluate to the same truth values in the engine's own evaluator.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

import z3

from ..evaluate import LeafKey, SignalHit, leaf_key
from ..labels import COMPLEXITY_LEVELS, FACT_CHECK_LABELS, MMLU_DOMAINS, MODALITY_LABELS, PII_TYPES, USER_FEEDBACK_LABELS
from ..model import Decision, RuleNode, Routing, Signal
from ..rule_tree import fold
from ..validation import parse_token_count
from .pool import VarPool

# Signals whose atom is "score ≥ threshold" on one shared Real (spec §2); key fields pick the shared variable.
_SCORED_FAMILIES: dict[str, Callable[[Signal], str]] = {
    "jailbreak": lambda s: f"{s.method or 'classifier'}:{s.direction or 'request'}:{bool(s.include_history)}",
    "safety": lambda s: str(s.model or "default"),
    "reask": lambda s: s.name,
    "preference": lambda s: s.name,
}


def spec_hash(data: Any) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _interval(value: z3.ArithRef, predicate: dict[str, Any] | None) -> z3.BoolRef:
    """``{gt, gte, lt, lte}`` over a linear expression, as a conjunction (no bounds = true)."""
    ops = {"gt": lambda v, x: v > x, "gte": lambda v, x: v >= x, "lt": lambda v, x: v < x, "lte": lambda v, x: v <= x}
    parts = [ops[k](value, float(x)) for k, x in (predicate or {}).items() if k in ops and x is not None]
    return z3.And(parts) if parts else z3.BoolVal(True)


class Encoding:
    """The solver's view of one routing profile: atoms per leaf, a formula per decision, background B."""

    def __init__(self, routing: Routing, pool: VarPool | None = None) -> None:
        self.routing = routing
        self.pool = pool or VarPool()
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
        if not names:
            return None
        terms = [self.pool.term(n) for n in names]
        best = terms[0]
        for t in terms[1:]:
            best = z3.If(t > best, t, best)
        return best

    def confidence(self, leaf: RuleNode, model: z3.ModelRef) -> float | None:
        """The leaf's confidence under ``model`` (None = crisp)."""
        names = self._score_vars(leaf)
        return max(self.pool.value(n, model) for n in names) if names else None

    def _opaque(self, leaf: RuleNode, why: str) -> z3.BoolRef:
        return self.pool.boolean(f"opaque:{leaf.type}:{leaf.name}:{leaf.label}", "opaque", f"{leaf.type} {leaf.name} ({why})",
                                 level=3)

    def _encode_leaf(self, leaf: RuleNode) -> z3.BoolRef:
        if leaf.type == "projection":
            return self._projection_output(str(leaf.name))
        signal = self.routing.find_signal(str(leaf.type), str(leaf.name))
        if signal is None:  # dangling: the validator reports it; the solver must not invent a proof from it
            return self._opaque(leaf, "undeclared")
        if signal.name in self._partition_of and leaf.type in ("domain", "embedding"):
            var_name, member = self._partition_of[signal.name]
            return self.pool.is_(var_name, member)
        return self._signal_atom(leaf, signal)

    def _signal_atom(self, leaf: RuleNode, signal: Signal) -> z3.BoolRef:
        pool, t = self.pool, leaf.type
        key = spec_hash([leaf.type, leaf.name, leaf.label, leaf.predicate])
        declared = signal.solver_atom(leaf, pool)
        if declared is not None:
            atom, scores = declared
            if scores:
                self._scores[key] = list(scores)
            return atom
        if t == "keyword":
            method = (signal.method or "").lower()
            if method in ("bm25", "ngram", "fuzzy") or signal.fuzzy_match:
                return pool.boolean(f"kwrule:{signal.name}", "opaque", f"{method or 'fuzzy'} keyword rule {signal.name}")
            if method == "regex":
                atoms = [pool.boolean(f"re:{p}", "regex", str(p)) for p in signal.keywords]
            else:
                atoms = [pool.keyword(k) for k in signal.keywords]
            if not atoms:
                return z3.BoolVal(False)
            return z3.And(atoms) if (signal.operator or "OR").upper() == "AND" else z3.Or(atoms)
        if t == "context":
            tokens = pool.number("tokens", "int", "tokens", "prompt tokens", 1, low=0)
            try:
                low, high = parse_token_count(signal.min_tokens) or 0, parse_token_count(signal.max_tokens)
            except ValueError:
                return self._opaque(leaf, "unparsable token count")
            return pool.interval(tokens, {"gte": low, "lte": high})
        if t in ("structure", "conversation"):
            feature = signal.feature or {}
            ftype = str(feature.get("type") or "count")
            sort = "real" if ftype == "density" else "int"
            source = json.dumps(feature.get("source") or {}, sort_keys=True)
            var = pool.number(f"{t}:{sort}:{source}", sort, "density" if sort == "real" else "count",
                              f"{ftype} of {source}", 1, low=0)
            if ftype == "exists" or not signal.predicate:
                return pool.at_least(var, 1) if ftype != "density" else pool.at_least(var, 0, strict=True)
            return pool.interval(var, signal.predicate)
        if t in ("authz", "event"):
            return pool.boolean(f"{t}:{signal.name}", "flag", f"{t} {signal.name}")
        if t == "input_modality":
            modality = str(signal.modality or signal.name)
            return pool.boolean(f"input_modality:{modality}", "flag", f"input modality {modality}")
        if t == "metadata":
            header = str(signal.key or signal.name)
            var = pool.enum(f"meta:{header}", header, 1, absent=True)
            pred = signal.predicate or {}
            if "equals" in pred:
                return pool.is_(var, pred["equals"])
            if "in" in pred:
                return z3.Or([pool.is_(var, v) for v in pred.get("in") or []])
            return pool.present(var)
        if t == "embedding":
            limit = 2.0 if (signal.negative_candidates or signal.negative_image_candidates) else 1.0
            s = pool.number(f"emb:{signal.name}", "real", "score", f"cosine to {signal.name}", 2, -limit, limit)
            self._scores[key] = [s]
            return pool.at_least(s, signal.effective_threshold())
        if t in _SCORED_FAMILIES:
            s = pool.number(f"score:{t}:{_SCORED_FAMILIES[t](signal)}", "real", "score", f"{t} score", 3, 0, 1)
            self._scores[key] = [s]
            return pool.at_least(s, signal.effective_threshold())
        if t == "pii":
            threshold = signal.effective_threshold()
            allowed = set(signal.pii_types_allowed or [])
            confs = [pool.number(f"pii:{e}", "real", "score", f"PII {e}", 3, 0, 1) for e in PII_TYPES if e not in allowed]
            if not confs:
                return z3.BoolVal(False)
            self._scores[key] = confs
            return z3.Or([pool.at_least(c, threshold) for c in confs])
        if t == "complexity":
            level = str(leaf.name).partition(":")[2]
            var = pool.enum(f"complexity:{signal.name}", f"complexity {signal.name}", 3, COMPLEXITY_LEVELS, closed=True)
            gate = z3.BoolVal(True)
            if signal.composer and signal.name not in self._building:
                self._building.add(signal.name)
                gate = self.compile(RuleNode.from_spec(signal.composer))
                self._building.discard(signal.name)
            return z3.And(pool.is_(var, level), gate)
        if t == "domain":
            return self._domain_raw(signal)
        if t == "language":
            var = pool.enum("language", "language", 3)
            atom = pool.is_(var, signal.name)
            conf = pool.number("language_conf", "real", "score", "language confidence", 3, 0, 1)
            self._scores[key] = [conf]
            return z3.And(atom, pool.at_least(conf, signal.effective_threshold()))
        closed_sets = {"modality": MODALITY_LABELS, "fact_check": FACT_CHECK_LABELS, "user_feedback": USER_FEEDBACK_LABELS}
        if t in closed_sets:
            var = pool.enum(t, t, 3 if t != "modality" else 1, closed_sets[t], closed=True)
            return pool.is_(var, signal.name)
        if t == "classifier":
            return self._classifier(leaf, signal, key)
        if t == "kb":
            if (signal.match or "best") == "best":
                target = (signal.target or {}).get("value", signal.name)
                var = pool.enum(f"kb:{signal.kb}", f"kb {signal.kb}", 3)
                return pool.is_(var, str(target))
            return pool.boolean(f"kb:{signal.name}", "flag", f"kb {signal.name} above threshold", level=3)
        return self._opaque(leaf, "not modelled")

    def _domain_raw(self, signal: Signal) -> z3.BoolRef:
        """Top-1 MMLU label ∪ none: the signal fires iff the label is one of its categories."""
        var = self.pool.enum("domain", "MMLU domain", 3, MMLU_DOMAINS, closed=True)
        labels = [self.pool.is_(var, c) for c in signal.categories() if c in MMLU_DOMAINS]
        return z3.Or(labels) if labels else z3.BoolVal(False)

    def _classifier(self, leaf: RuleNode, signal: Signal, key: str) -> z3.BoolRef:
        """Top label as an enum; a ``predicate`` reads that label's probability (Σ ≤ 1, top label is the largest)."""
        labels = [str(x) for x in signal.labels or []]
        name = f"classifier:{signal.name}"
        pool = self.pool
        top = pool.enum(name, f"classifier {signal.name}", 3, labels, closed=True)
        if leaf.label not in labels:
            return z3.BoolVal(False)
        if not leaf.predicate:
            return pool.is_(top, leaf.label)
        probs = {lab: f"{name}:p:{lab}" for lab in labels}
        if probs[leaf.label] not in pool.numbers:  # first predicate on this classifier: the simplex
            for lab, p in probs.items():
                pool.number(p, "real", "score", f"P({signal.name}={lab})", 3, 0, 1)
            terms = {lab: pool.term(p) for lab, p in probs.items()}
            pool.background.append(z3.Sum(list(terms.values())) <= 1)
            for lab, p in terms.items():
                others = [p >= q for other, q in terms.items() if other != lab]
                pool.background.append(z3.Implies(pool.is_(top, lab), z3.And(others)))
        self._scores[key] = [probs[leaf.label]]
        return pool.interval(probs[leaf.label], leaf.predicate)

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
            kind, source = str(item.get("type")), str(item.get("value_source") or "binary")
            if kind == "projection":
                value = self._score_expr(str(item.get("name")), seen | {name})
            elif kind == "kb_metric" or Signal.kind(kind) is None:
                value = self.pool.real(f"projection_input:{kind}:{item.get('name')}:{item.get('metric')}",
                                       "score", f"{kind} {item.get('name')}", 3)
            else:
                leaf = RuleNode.leaf(kind, str(item.get("name")))
                fires, raw = self.atom(leaf), (self.score_term(leaf) if source != "binary" else None)
                if source == "binary" or raw is None:
                    value = z3.If(fires, z3.RealVal(float(item.get("match", 1.0))), z3.RealVal(float(item.get("miss", 0.0))))
                else:
                    value = raw
            terms.append(weight * value)
        return z3.Sum(terms) if terms else z3.RealVal(0)

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
