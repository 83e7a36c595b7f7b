"""Which variables a formula reads, and which variables the background ties together.

Two decisions whose formulas read variables in different background components are
independent: their overlap is satisfiable whenever each is, and neither can contain the other
unless one is valid. This pre-filter answers most pairs of a large policy without a solver call.
"""

from __future__ import annotations

from typing import Iterable

import z3


def support(expr: z3.ExprRef, memo: dict[int, frozenset[str]]) -> frozenset[str]:
    """Names of the uninterpreted constants in ``expr`` (memoised by AST id)."""
    key = expr.get_id()
    if key in memo:
        return memo[key]
    if z3.is_const(expr) and expr.decl().kind() == z3.Z3_OP_UNINTERPRETED:
        out = frozenset([expr.decl().name()])
    else:
        out = frozenset().union(*(support(c, memo) for c in expr.children())) if expr.num_args() else frozenset()
    memo[key] = out
    return out


class Components:
    """Union-find over variable names, joined by every background constraint that mentions several."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        root = self.parent.setdefault(name, name)
        while root != self.parent[root]:
            root = self.parent[root]
        while name != root:
            name, self.parent[name] = self.parent[name], root
        return root

    def join(self, names: Iterable[str]) -> None:
        names = list(names)
        for other in names[1:]:
            a, b = self.find(names[0]), self.find(other)
            if a != b:
                self.parent[b] = a

    def of(self, names: Iterable[str]) -> frozenset[str]:
        return frozenset(self.find(n) for n in names)
