"""One incremental z3 solver per profile: background asserted once, each decision behind two indicator literals.

``pos[k] ⇒ φₖ`` and ``neg[k] ⇒ ¬φₖ`` are asserted once, so every region query of the taxonomy
(φᵢ ∧ ¬φⱼ, ∧ᵢ ¬φᵢ, …) is a ``check`` under assumptions: no re-encoding, learnt clauses kept,
and unsat cores name the decisions involved. A query that times out returns ``unknown``;
callers turn that into evidence ``unknown``, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import z3

from .encoding import Encoding


@dataclass
class Outcome:
    result: str  # sat / unsat / unknown
    model: z3.ModelRef | None = None
    core: list[z3.BoolRef] | None = None

    @property
    def sat(self) -> bool:
        return self.result == "sat"

    @property
    def unsat(self) -> bool:
        return self.result == "unsat"


class RegionSolver:
    """Assumption-based queries over one encoding's decision formulas."""

    def __init__(self, encoding: Encoding, formulas: Sequence[z3.BoolRef], timeout_ms: int, tag: str = "d") -> None:
        self.encoding = encoding
        self.solver = z3.Solver()
        self.solver.set("timeout", int(timeout_ms))
        self.solver.set("unsat_core", True)
        self.formulas = list(formulas)
        self.pos = [z3.Bool(f"__{tag}_in_{k}") for k in range(len(formulas))]
        self.neg = [z3.Bool(f"__{tag}_out_{k}") for k in range(len(formulas))]
        for p, n, phi in zip(self.pos, self.neg, self.formulas):
            self.solver.add(z3.Implies(p, phi), z3.Implies(n, z3.Not(phi)))
        self._synced = 0
        self.queries = 0

    def _sync(self) -> None:
        background = self.encoding.background()
        if self._synced < len(background):
            self.solver.add(*background[self._synced:])
            self._synced = len(background)

    def check(self, assumptions: Sequence[z3.BoolRef], extra: Sequence[z3.BoolRef] = ()) -> Outcome:
        """SAT of B ∧ assumptions (∧ extra, added inside push/pop)."""
        self._sync()
        self.queries += 1
        if extra:
            self.solver.push()
            self.solver.add(*extra)
        try:
            result = self.solver.check(*assumptions)
            if result == z3.sat:
                return Outcome("sat", self.solver.model())
            if result == z3.unsat:
                return Outcome("unsat", core=list(self.solver.unsat_core()))
            return Outcome("unknown")
        finally:
            if extra:
                self.solver.pop()

    def minimal_core(self, fixed: Sequence[z3.BoolRef], candidates: Sequence[z3.BoolRef],
                     extra: Sequence[z3.BoolRef] = ()) -> list[z3.BoolRef] | None:
        """A subset-minimal set of ``candidates`` that with ``fixed`` is UNSAT (None if not UNSAT / undecided)."""
        first = self.check(list(fixed) + list(candidates), extra)
        if not first.unsat:
            return None
        in_core = {c.get_id() for c in first.core or []}
        core = [c for c in candidates if c.get_id() in in_core]
        for c in list(core):
            if all(x.get_id() != c.get_id() for x in core):
                continue  # already dropped by an earlier, smaller core
            trial = [x for x in core if x.get_id() != c.get_id()]
            outcome = self.check(list(fixed) + trial, extra)
            if outcome.unsat:
                kept = {x.get_id() for x in outcome.core or []}
                core = [x for x in trial if x.get_id() in kept]
        return core

    def query(self, assumptions: Sequence[z3.BoolRef], extra: Sequence[z3.BoolRef] = ()) -> list[z3.BoolRef]:
        """The query as plain formulas (B, the assumed φ/¬φ, extra), for SMT-LIB audit text."""
        index = {p.get_id(): (k, True) for k, p in enumerate(self.pos)}
        index.update({n.get_id(): (k, False) for k, n in enumerate(self.neg)})

        def plain(a: z3.BoolRef) -> z3.BoolRef:
            if a.get_id() not in index:
                return a
            k, positive = index[a.get_id()]
            return self.formulas[k] if positive else z3.Not(self.formulas[k])
        return list(self.encoding.background()) + [plain(a) for a in assumptions] + list(extra)
