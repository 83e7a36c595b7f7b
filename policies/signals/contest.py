"""When a kind's signals compete within one request: which of their own matches the router keeps.

For most kinds a signal fires on its own rule. For a few the router compares a request's matches
of one kind with each other before decisions see them (each kind's module cites its source):
only the best-scoring preference rule can match, only the reask rules with the longest lookback
are kept, and ``top_k`` caps the embedding matches. :class:`Contest` states such a rule once, as
data; the simulation (Polars) and the solver (z3) evaluate it through the same :meth:`Contest.kept`,
each with its own operations (:class:`PolarsOps`, :class:`Z3Ops`), so they cannot drift apart.

The rule: signal *i* keeps its own match when fewer than ``keep`` rivals beat it, where a rival is
another signal of the kind that entered (``entry``: its own match fired, or it was merely scored)
and ranks above *i* (``rank``: the request's confidence, or a fixed number per signal such as a
reask rule's lookback); equal ranks go to the smaller name when ``by_name``, else all are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Mapping, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One signal in a request's contest: its own match, whether it competes, and its rank."""

    fired: T
    entrant: T
    rank: Any  # a back-end number, or the signal's fixed rank


class Ops(Protocol[T]):
    """A back-end's Boolean and comparison operations."""

    def all(self, items: list[T]) -> T: ...

    def fewer_than(self, keep: int, items: list[T]) -> T: ...

    def above(self, a: Any, b: Any, *, inclusive: bool) -> T: ...


@dataclass(frozen=True)
class Contest:
    """How a kind's matches compete in one request (see the module docstring)."""

    keep: int
    entry: Literal["fired", "scored"] = "fired"
    fixed_rank: Mapping[str, float] = field(default_factory=dict)  # empty: rank by confidence
    by_name: bool = True

    def kept(self, name: str, entries: Mapping[str, Entry[T]], ops: Ops[T]) -> T:
        """Whether signal ``name`` keeps its match, given every signal's entry (``entries``)."""
        me = entries[name]
        rivals: list[T] = []
        for other, entry in entries.items():
            if other == name:
                continue
            ties_win = self.by_name and other < name
            if self.fixed_rank:
                mine, theirs = self.fixed_rank[name], self.fixed_rank[other]
                if theirs > mine or (ties_win and theirs == mine):
                    rivals.append(entry.entrant)
            else:
                rivals.append(ops.all([entry.entrant, ops.above(entry.rank, me.rank, inclusive=ties_win)]))
        return ops.all([me.fired, ops.fewer_than(self.keep, rivals)])


class PolarsOps:
    """:class:`Contest` over Polars expressions (a null rank never ranks above anything)."""

    def all(self, items: list[Any]) -> Any:
        import polars as pl

        return pl.all_horizontal(items) if items else pl.lit(True)

    def fewer_than(self, keep: int, items: list[Any]) -> Any:
        import polars as pl

        if not items:
            return pl.lit(True)
        if keep == 1:
            return ~pl.any_horizontal(items)
        return pl.sum_horizontal([item.cast(pl.Int32) for item in items]) < keep

    def above(self, a: Any, b: Any, *, inclusive: bool) -> Any:
        return ((a >= b) if inclusive else (a > b)).fill_null(False)


class Z3Ops:
    """:class:`Contest` over z3 formulas and terms."""

    def all(self, items: list[Any]) -> Any:
        import z3

        return z3.And(items) if items else z3.BoolVal(True)

    def fewer_than(self, keep: int, items: list[Any]) -> Any:
        import z3

        if not items:
            return z3.BoolVal(True)
        if keep == 1:
            return z3.Not(z3.Or(items))
        return z3.Sum([z3.If(item, 1, 0) for item in items]) < keep

    def above(self, a: Any, b: Any, *, inclusive: bool) -> Any:
        return a >= b if inclusive else a > b
