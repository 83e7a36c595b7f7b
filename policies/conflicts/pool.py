"""Solver variables keyed by meaning, shared by every encoding built on the same pool.

Two versions of a policy (diff, repairs) must talk about the *same* request: the keyword
"urgent", the token count, the domain label. So variables are named by what they measure, not
by where they are used, and live in a :class:`VarPool` that several encodings can share.
Every variable carries its range and exclusivity constraints (background B, spec §3) and a
:class:`VarInfo` that tells the witness builder how to turn a model value into a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import z3

ABSENT, OTHER = -2, -1  # enum codes: header/label not present; present with an unmentioned value


@dataclass(frozen=True)
class VarInfo:
    """What a variable measures: ``kind`` (bool/int/real/enum), level 1-3 (spec §4), and a role for witnesses."""

    kind: str
    level: int
    role: str  # keyword, regex, opaque, tokens, count, density, flag, header, label, score
    subject: str  # keyword text, header key, signal/label family, ...


@dataclass
class EnumDomain:
    """Codes of an enum variable: mentioned values get 0..k-1; ``closed`` enums allow nothing else."""

    values: list[str] = field(default_factory=list)
    closed: bool = False
    absent: bool = False

    def code(self, value: str) -> int:
        if value not in self.values:
            if self.closed:
                return OTHER  # a label the detector never emits: compares unequal to every model value
            self.values.append(value)
        return self.values.index(value)

    def label(self, code: int) -> str:
        if code == ABSENT:
            return "<absent>"
        if 0 <= code < len(self.values):
            return self.values[code]
        return "<none>" if self.closed else "<other>"


_WORDS = re.compile(r"\w+", re.UNICODE)


def normalise_keyword(text: str) -> str:
    """Keyword identity for the solver: case-folded, whitespace collapsed (case-sensitive ⇒ case-insensitive)."""
    return " ".join(str(text).lower().split())


def contains_phrase(longer: str, shorter: str) -> bool:
    """Whether text containing ``longer`` necessarily contains ``shorter`` as whole words."""
    if longer == shorter or not shorter:
        return False
    return re.search(r"(?<!\w)" + re.escape(shorter) + r"(?!\w)", longer) is not None


class VarPool:
    """Variables plus the background constraints that come with them."""

    def __init__(self) -> None:
        self.vars: dict[str, z3.ExprRef] = {}
        self.info: dict[str, VarInfo] = {}
        self.enums: dict[str, EnumDomain] = {}
        self.background: list[z3.BoolRef] = []
        self._keywords: list[str] = []

    def _new(self, name: str, var: z3.ExprRef, info: VarInfo) -> z3.ExprRef:
        self.vars[name] = var
        self.info[name] = info
        return var

    def boolean(self, name: str, role: str, subject: str, level: int = 1) -> z3.BoolRef:
        if name not in self.vars:
            self._new(name, z3.Bool(name), VarInfo("bool", level, role, subject))
        return self.vars[name]  # type: ignore[return-value]

    def keyword(self, text: str) -> z3.BoolRef:
        """One Bool per normalised literal keyword; a phrase implies every phrase it contains."""
        key = normalise_keyword(text)
        name = f"kw:{key}"
        if name not in self.vars:
            var = self.boolean(name, "keyword", key)
            for other in self._keywords:
                if contains_phrase(key, other):
                    self.background.append(z3.Implies(var, self.vars[f"kw:{other}"]))
                elif contains_phrase(other, key):
                    self.background.append(z3.Implies(self.vars[f"kw:{other}"], var))
            self._keywords.append(key)
        return self.vars[name]  # type: ignore[return-value]

    def number(self, name: str, sort: str, role: str, subject: str, level: int, low: float | None = None,
               high: float | None = None) -> z3.ArithRef:
        """An Int or Real with its range added to B."""
        if name not in self.vars:
            var = z3.Int(name) if sort == "int" else z3.Real(name)
            self._new(name, var, VarInfo(sort, level, role, subject))
            if low is not None:
                self.background.append(var >= low)
            if high is not None:
                self.background.append(var <= high)
        return self.vars[name]  # type: ignore[return-value]

    def enum(self, name: str, subject: str, level: int, values: Sequence[str] = (), closed: bool = False,
             absent: bool = False) -> z3.ArithRef:
        """An exactly-one group as an Int: codes of ``values`` (plus none/other, plus absent for headers)."""
        if name not in self.vars:
            var = z3.Int(name)
            self._new(name, var, VarInfo("enum", level, "header" if absent else "label", subject))
            domain = EnumDomain(list(values), closed, absent)
            self.enums[name] = domain
            self.background.append(var >= (ABSENT if absent else OTHER))
            if closed:
                self.background.append(var < len(domain.values))
        return self.vars[name]  # type: ignore[return-value]

    def code(self, name: str, value: str) -> int:
        return self.enums[name].code(str(value))

    def level_of(self, names: Sequence[str]) -> int:
        """The highest decidability level among variables (1 crisp, 2 embedding, 3 classifier)."""
        return max((self.info[n].level for n in names if n in self.info), default=1)
