"""Solver variables keyed by meaning, shared by every encoding built on the same pool.

Two versions of a policy (diff, repairs) must talk about the *same* request: the keyword
"urgent", the token count, the domain label. So variables are named by what they measure, not
by where they are used, and live in a :class:`VarPool` that several encodings can share.

Everything the rules compare against a constant is Boolean, because z3 answers propositional
queries several times faster than ones with Int/Real arithmetic:
- a number (tokens, a score) is an :class:`Ordered` variable: one Bool per bound ``v ≥ t`` /
  ``v > t`` mentioned anywhere, chained so a stronger bound implies every weaker one; a real
  z3 term exists only once something needs linear arithmetic (projection sums, PII maxima,
  classifier probabilities), and is then tied to every bound;
- a label group (domain, language, partition, …) is an :class:`Enum`: one Bool per mentioned
  value, at most one true (none true = another label, none, or an absent header).
Every variable carries a :class:`VarInfo` that tells the witness builder how to turn a model
back into a request, and its range/exclusivity constraints (background B, spec §3).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import z3

Bound = tuple[float, bool]  # (t, strict): v > t when strict, else v ≥ t; tuple order = implication order


@dataclass(frozen=True)
class VarInfo:
    """What a variable measures: ``kind`` (bool/int/real/enum), level 1-3 (spec §4), and a role for witnesses."""

    kind: str
    level: int
    role: str  # keyword, regex, opaque, tokens, count, density, flag, header, label, score
    subject: str  # keyword text, header key, signal/label family, ...


def as_float(value: z3.ExprRef) -> float:
    if z3.is_rational_value(value):
        return float(value.numerator_as_long()) / float(value.denominator_as_long())
    if z3.is_algebraic_value(value):
        return float(value.approx(12).as_fraction())
    if z3.is_int_value(value):
        return float(value.as_long())
    return float(str(value).rstrip("?"))


@dataclass
class Ordered:
    """A number seen through comparisons with constants: sorted bounds, one Bool each."""

    name: str
    integer: bool
    low: float | None
    high: float | None
    bounds: list[Bound] = field(default_factory=list)
    atoms: dict[Bound, z3.BoolRef] = field(default_factory=dict)
    term: z3.ArithRef | None = None  # only once linear arithmetic needs the number itself

    def normalise(self, t: float, strict: bool) -> Bound:
        """Integers have no strict bounds: v > t ≡ v ≥ ⌊t⌋ + 1, v ≥ t ≡ v ≥ ⌈t⌉."""
        if self.integer:
            return (float(math.floor(t) + 1 if strict else math.ceil(t)), False)
        return (float(t), strict)

    def constant(self, bound: Bound) -> bool | None:
        """The bound's truth when the range alone decides it."""
        t, strict = bound
        if self.low is not None and (t < self.low or (t == self.low and not strict)):
            return True
        if self.high is not None and (t > self.high or (t == self.high and strict)):
            return False
        return None

    def compare(self, bound: Bound) -> z3.ExprRef:
        assert self.term is not None
        return self.term > bound[0] if bound[1] else self.term >= bound[0]

    def value(self, model: z3.ModelRef) -> float:
        """A value consistent with the bounds the model makes true (the real term's value when there is one)."""
        if self.term is not None:
            return as_float(model.eval(self.term, model_completion=True))
        held = sum(z3.is_true(model.eval(self.atoms[b], model_completion=True)) for b in self.bounds)
        lo = self.bounds[held - 1] if held else None  # the chain makes the true bounds a prefix
        hi = self.bounds[held] if held < len(self.bounds) else None
        if lo is None:
            return self.low if self.low is not None else (hi[0] - 1 if hi else 0.0)
        if not lo[1]:
            return lo[0]
        top = hi[0] if hi else (self.high if self.high is not None else lo[0] + 2)
        return (lo[0] + top) / 2


@dataclass
class Enum:
    """One Bool per mentioned value, at most one true; ``closed`` enums ignore values the detector never emits."""

    name: str
    values: list[str]
    closed: bool
    header: bool  # metadata header: ``present`` is its own Bool (absent = no value at all)
    atoms: dict[str, z3.BoolRef] = field(default_factory=dict)
    present: z3.BoolRef | None = None

    def label(self, model: z3.ModelRef) -> str:
        for value, atom in self.atoms.items():
            if z3.is_true(model.eval(atom, model_completion=True)):
                return value
        if self.present is not None and not z3.is_true(model.eval(self.present, model_completion=True)):
            return "<absent>"
        return "<none>" if self.closed else "<other>"


def normalise_keyword(text: str) -> str:
    """Keyword identity for the solver: case-folded, whitespace collapsed (case-sensitive ⇒ case-insensitive)."""
    return " ".join(str(text).lower().split())


@lru_cache(maxsize=1 << 16)
def contains_phrase(longer: str, shorter: str) -> bool:
    """Whether text containing ``longer`` necessarily contains ``shorter`` as whole words.

    Cached: every encoding of a profile (one per finding and repair proof) pairs each keyword with
    every other, 3 million regex searches on the router's balance recipe, over a few thousand pairs."""
    if longer == shorter or not shorter:
        return False
    return re.search(r"(?<!\w)" + re.escape(shorter) + r"(?!\w)", longer) is not None


class VarPool:
    """Variables plus the background constraints that come with them."""

    def __init__(self) -> None:
        self.info: dict[str, VarInfo] = {}
        self.bools: dict[str, z3.BoolRef] = {}
        self.numbers: dict[str, Ordered] = {}
        self.enums: dict[str, Enum] = {}
        self.owner: dict[str, str] = {}  # solver constant name -> variable name (for levels)
        self.background: list[z3.BoolRef] = []
        self.arithmetic = False  # some constraint needs Int/Real reasoning
        self._keywords: list[str] = []

    def _register(self, name: str, info: VarInfo) -> bool:
        if name in self.info:
            return False
        self.info[name] = info
        return True

    def _const(self, owner: str, name: str) -> z3.BoolRef:
        self.owner[name] = owner
        return z3.Bool(name)

    def boolean(self, name: str, role: str, subject: str, level: int = 1) -> z3.BoolRef:
        if self._register(name, VarInfo("bool", level, role, subject)):
            self.bools[name] = self._const(name, name)
        return self.bools[name]

    def keyword(self, text: str) -> z3.BoolRef:
        """One Bool per normalised literal keyword; a phrase implies every phrase it contains."""
        key = normalise_keyword(text)
        name = f"kw:{key}"
        if name not in self.bools:
            var = self.boolean(name, "keyword", key)
            for other in self._keywords:
                if contains_phrase(key, other):
                    self.background.append(z3.Implies(var, self.bools[f"kw:{other}"]))
                elif contains_phrase(other, key):
                    self.background.append(z3.Implies(self.bools[f"kw:{other}"], var))
            self._keywords.append(key)
        return self.bools[name]

    # -- ordered numbers -------------------------------------------------------------------------
    def number(self, name: str, sort: str, role: str, subject: str, level: int, low: float | None = None,
               high: float | None = None) -> str:
        """Declare an Int or Real by name (compare it with :meth:`at_least` / :meth:`interval`)."""
        if self._register(name, VarInfo(sort, level, role, subject)):
            self.numbers[name] = Ordered(name, sort == "int", low, high)
        return name

    def at_least(self, name: str, t: float, strict: bool = False) -> z3.BoolRef:
        """``v ≥ t`` (``v > t`` when strict) as a chained Bool."""
        var = self.numbers[name]
        bound = var.normalise(float(t), strict)
        fixed = var.constant(bound)
        if fixed is not None:
            return z3.BoolVal(fixed)
        if bound not in var.atoms:
            atom = self._const(name, f"{name}{'>' if bound[1] else '>='}{bound[0]:g}")
            pos = bisect.bisect(var.bounds, bound)
            if pos > 0:
                self.background.append(z3.Implies(atom, var.atoms[var.bounds[pos - 1]]))
            if pos < len(var.bounds):
                self.background.append(z3.Implies(var.atoms[var.bounds[pos]], atom))
            var.bounds.insert(pos, bound)
            var.atoms[bound] = atom
            if var.term is not None:
                self.background.append(atom == var.compare(bound))
        return var.atoms[bound]

    def interval(self, name: str, predicate: dict | None) -> z3.BoolRef:
        """``{gt, gte, lt, lte}`` as a conjunction of bounds (no bounds = true)."""
        parts = []
        for op, x in (predicate or {}).items():
            if x is None or op not in ("gt", "gte", "lt", "lte"):
                continue
            if op in ("gt", "gte"):
                parts.append(self.at_least(name, float(x), op == "gt"))
            else:
                parts.append(z3.Not(self.at_least(name, float(x), op == "lte")))
        return z3.And(parts) if parts else z3.BoolVal(True)

    def term(self, name: str) -> z3.ArithRef:
        """The number as an arithmetic term (for linear sums and maxima), tied to every bound."""
        var = self.numbers[name]
        if var.term is None:
            self.arithmetic = True
            var.term = z3.Int(name) if var.integer else z3.Real(name)
            self.owner[name] = name
            if var.low is not None:
                self.background.append(var.term >= var.low)
            if var.high is not None:
                self.background.append(var.term <= var.high)
            self.background.extend(var.atoms[b] == var.compare(b) for b in var.bounds)
        return var.term

    def real(self, name: str, role: str, subject: str, level: int, low: float | None = None,
             high: float | None = None) -> z3.ArithRef:
        """A number only ever used in arithmetic (a free projection input)."""
        return self.term(self.number(name, "real", role, subject, level, low, high))

    def value(self, name: str, model: z3.ModelRef) -> float:
        return self.numbers[name].value(model)

    # -- label groups ----------------------------------------------------------------------------
    def enum(self, name: str, subject: str, level: int, values: tuple[str, ...] | list[str] = (), closed: bool = False,
             absent: bool = False) -> str:
        """Declare an at-most-one label group: ``values`` are the labels a closed detector can emit."""
        if self._register(name, VarInfo("enum", level, "header" if absent else "label", subject)):
            group = Enum(name, list(values), closed, absent)
            if absent:
                group.present = self._const(name, f"{name}:present")
            self.enums[name] = group
        return name

    def is_(self, name: str, value: str) -> z3.BoolRef:
        """The label equals ``value`` (false for a label a closed detector never emits)."""
        group, value = self.enums[name], str(value)
        if value not in group.atoms:
            if group.closed and value not in group.values:
                return z3.BoolVal(False)
            atom = self._const(name, f"{name}={value}")
            self.background.extend(z3.Not(z3.And(atom, other)) for other in group.atoms.values())
            if group.present is not None:
                self.background.append(z3.Implies(atom, group.present))
            group.atoms[value] = atom
        return group.atoms[value]

    def present(self, name: str) -> z3.BoolRef:
        """A header group's value is present (any value)."""
        present = self.enums[name].present
        assert present is not None, name
        return present

    def exactly_one(self, name: str, values: list[str]) -> None:
        """Constrain the group to take one of ``values``."""
        self.background.append(z3.Or([self.is_(name, v) for v in values]))

    def level_of(self, names) -> int:
        """The highest decidability level among solver constants (1 crisp, 2 embedding, 3 classifier)."""
        levels = (self.info[self.owner.get(n, n)].level for n in names if self.owner.get(n, n) in self.info)
        return max(levels, default=1)
