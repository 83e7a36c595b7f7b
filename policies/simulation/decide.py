"""Decisions as Polars expressions: each rule tree compiled once, the winner in one vectorised pass.

Semantics are those of :func:`policies.evaluate.evaluate_tree` (the reference): a leaf reads its
``fired::`` column and its ``conf::`` column (null = crisp, counting as 1.0); AND is true when all
children are, with confidence the mean of all children (summed left to right, as Python's
``sum``, so ties compare equal bit for bit); OR takes the max confidence of its true children;
NOT reports 1.0 and no score. A node is *scored* when a scored leaf contributed, which is what
the #3079 comparability rule of :mod:`policies.ranking` looks at.

The winner follows the router's order as :data:`policies.ranking.ORDERS` lists it (the same data
:func:`policies.ranking.rank` sorts by), key by key: each step keeps the candidates with the best
value of one key, and the alphabetically first survivor wins. When no leaf of any decision can be
scored, confidence can never matter and the winner is simply the first match in that order without
its confidence keys, compiled to one ``when/then`` chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import polars as pl

from ..columns import SEP, confidence_column, fired_column, match_column
from ..evaluate import LeafKey, leaf_key
from ..model import Decision, RuleNode
from ..ranking import LARGEST_WINS, MODES, order_of, static_order
from ..rule_tree import fold

WINNER = "_winner"  # index of the winning decision in Compiled.decisions (null = default model)


@dataclass(frozen=True)
class Node:
    """A compiled rule node: truth value, confidence and whether a scored signal contributed."""

    value: pl.Expr
    conf: pl.Expr
    scored: pl.Expr


@dataclass(frozen=True)
class _Vectorised:
    """The Polars back-end of :func:`policies.rule_tree.fold` (``scored(key)``: a leaf may carry a score)."""

    scored: Callable[[LeafKey], bool]

    def leaf(self, node: RuleNode) -> Node:
        key = leaf_key(node)
        fired = pl.col(fired_column(key)).fill_null(False)
        if not self.scored(key):
            return Node(fired, pl.lit(1.0), pl.lit(False))
        conf = pl.col(confidence_column(key))
        return Node(fired, conf.fill_null(1.0), conf.is_not_null())

    def all_of(self, node: RuleNode, children: list[Node]) -> Node:
        if not children:
            return Node(pl.lit(True), pl.lit(1.0), pl.lit(False))
        total = children[0].conf
        for child in children[1:]:
            total = total + child.conf
        return Node(pl.all_horizontal([c.value for c in children]), total / len(children),
                    pl.any_horizontal([c.scored for c in children]))

    def any_of(self, node: RuleNode, children: list[Node]) -> Node:
        if not children:
            return Node(pl.lit(False), pl.lit(0.0), pl.lit(False))
        conf = pl.max_horizontal([pl.when(c.value).then(c.conf) for c in children]).fill_null(0.0)
        return Node(pl.any_horizontal([c.value for c in children]), conf,
                    pl.any_horizontal([c.value & c.scored for c in children]))

    def negate(self, node: RuleNode, child: Node) -> Node:
        return Node(~child.value, pl.lit(1.0), pl.lit(False))

    def never(self, node: RuleNode, children: list[Node]) -> Node:
        return Node(pl.lit(False), pl.lit(1.0), pl.lit(False))


def compile_tree(node: RuleNode | None, scored: Callable[[LeafKey], bool]) -> Node:
    """One rule tree over ``fired::``/``conf::`` columns; ``scored(key)`` says a leaf may carry a score."""
    return fold(node, _Vectorised(scored))


def _can_score(node: RuleNode | None, scored: Callable[[LeafKey], bool]) -> bool:
    return node is not None and any(scored(leaf_key(n)) for _, n in node.leaves())


def _column(kind: str, decision: str) -> str:
    return SEP.join((kind, decision))


@dataclass
class Compiled:
    """Every decision of a profile compiled, plus the winner expression in router order."""

    decisions: list[Decision]
    nodes: list[Node]
    scorable: bool  # some decision can report a scored confidence
    strategy: str
    mode: str

    def match_columns(self) -> list[pl.Expr]:
        """``match::<decision>`` plus internal confidence/scored columns for the ranking."""
        out: list[pl.Expr] = []
        for d, n in zip(self.decisions, self.nodes):
            out.append(n.value.alias(match_column(d.name)))
            if self.scorable:
                out += [n.conf.alias(_column("_conf", d.name)), n.scored.alias(_column("_scored", d.name))]
        return out

    def winner_stages(self) -> list[list[pl.Expr]]:
        """``with_columns`` stages ending in the winner index column (UInt32, null = default).

        Each ranking step reads the previous step's columns, so the plan stays linear in the
        number of decisions instead of nesting every step's expressions inside the next.
        """
        if not self.decisions:
            return [[pl.lit(None, dtype=pl.UInt32).alias(WINNER)]]
        if not self.scorable:
            return [[self._static_winner().alias(WINNER)]]
        stages = _Stages()
        self._ranked_winner(stages)
        return stages.stages

    # -- helpers over the materialised match/conf/scored columns ---------------------------
    def _m(self, i: int) -> pl.Expr:
        return pl.col(match_column(self.decisions[i].name))

    def _conf(self, i: int) -> pl.Expr:
        return pl.col(_column("_conf", self.decisions[i].name))

    def _scored(self, i: int) -> pl.Expr:
        return pl.col(_column("_scored", self.decisions[i].name))

    def _first_by_name(self, alive: Sequence[pl.Expr]) -> pl.Expr:
        order = sorted(range(len(self.decisions)), key=lambda i: self.decisions[i].name)
        chain = pl.when(alive[order[0]]).then(pl.lit(order[0], dtype=pl.UInt32))
        for i in order[1:]:
            chain = chain.when(alive[i]).then(pl.lit(i, dtype=pl.UInt32))
        return chain.otherwise(pl.lit(None, dtype=pl.UInt32))

    def _static_winner(self) -> pl.Expr:
        """No decision can be scored: the first match in the order's confidence-free keys."""
        index = {id(d): i for i, d in enumerate(self.decisions)}
        candidates = [index[id(d)] for d in static_order(self.decisions, self.mode, self.strategy)]
        first = candidates[0]
        chain = pl.when(self._m(first)).then(pl.lit(first, dtype=pl.UInt32))
        for i in candidates[1:]:
            chain = chain.when(self._m(i)).then(pl.lit(i, dtype=pl.UInt32))
        return chain.otherwise(pl.lit(None, dtype=pl.UInt32))

    def _winner(self, stages: "_Stages", order: tuple[str, ...]) -> pl.Expr:
        """The first survivor by name after keeping, key by key, the candidates with the best value."""
        n = range(len(self.decisions))
        alive = [self._m(i) for i in n]
        for key in order:
            if key == "name":
                break
            if key == "catch_all":
                catch = [d.is_catch_all for d in self.decisions]
                (any_real,) = stages.add([pl.any_horizontal([a & pl.lit(not c) for a, c in zip(alive, catch)])])
                alive = stages.add([a & ~any_real if c else a for a, c in zip(alive, catch)])
            elif key == "comparable_confidence":  # only when every real candidate left is scored (#3079)
                real = [a & pl.lit(not d.is_catch_all) for a, d in zip(alive, self.decisions)]
                (comparable,) = stages.add([pl.any_horizontal(real) & pl.all_horizontal(
                    [~r | self._scored(i) for i, r in zip(n, real)])])
                best = stages.keep_best(alive, [self._conf(i) for i in n], True)
                alive = stages.add([pl.when(comparable).then(b).otherwise(a) for b, a in zip(best, alive)])
            else:
                values = {"tier": lambda i: pl.lit(self.decisions[i].effective_tier),
                          "priority": lambda i: pl.lit(self.decisions[i].effective_priority),
                          "confidence": lambda i: pl.when(self._scored(i)).then(self._conf(i)).otherwise(1.0)}[key]
                alive = stages.keep_best(alive, [values(i) for i in n], key in LARGEST_WINS)
        return self._first_by_name(alive)

    def _ranked_winner(self, stages: "_Stages") -> None:
        flat, tiered = (order_of(self.mode, self.strategy, t) for t in (False, True))
        winner = self._winner(stages, flat)
        if tiered != flat:  # the order changes per request, when a matching decision has a tier above 0
            has_tier = pl.any_horizontal([self._m(i) & (d.effective_tier > 0) for i, d in enumerate(self.decisions)])
            winner = pl.when(has_tier).then(self._winner(stages, tiered)).otherwise(winner)
        stages.finish(winner.alias(WINNER))


class _Stages:
    """Accumulates ``with_columns`` stages of internal ranking columns (``_rank<k>::<i>``)."""

    def __init__(self) -> None:
        self.stages: list[list[pl.Expr]] = []

    def add(self, exprs: list[pl.Expr]) -> list[pl.Expr]:
        k = len(self.stages)
        names = [f"_rank{k}{SEP}{i}" for i in range(len(exprs))]
        self.stages.append([e.alias(name) for e, name in zip(exprs, names)])
        return [pl.col(name) for name in names]

    def keep_best(self, alive: list[pl.Expr], values: list[pl.Expr], largest: bool) -> list[pl.Expr]:
        """Candidates holding the best value of one ranking key (two stages: best, survivors)."""
        masked = [pl.when(a).then(v) for a, v in zip(alive, values)]
        (best,) = self.add([pl.max_horizontal(masked) if largest else pl.min_horizontal(masked)])
        return self.add([a & (v == best) for a, v in zip(alive, values)])

    def finish(self, winner: pl.Expr) -> None:
        self.stages.append([winner])


def compile_decisions(decisions: Sequence[Decision], scored: Callable[[LeafKey], bool],
                      strategy: str = "priority", mode: str = "current") -> Compiled:
    """Compile every decision once (the result is reused by every re-simulation of the same policy)."""
    if mode not in MODES:
        raise ValueError(f"unknown ranking mode {mode!r}; use one of {MODES}")
    decisions = list(decisions)
    nodes = [compile_tree(d.rules, scored) for d in decisions]
    scorable = any(_can_score(d.rules, scored) for d in decisions)
    return Compiled(decisions, nodes, scorable, (strategy or "priority").lower(), mode)


def route_frame(compiled: Compiled, signals: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``match::`` columns and the winning ``decision`` (null = default) over a frame of leaf columns."""
    names = [d.name for d in compiled.decisions]
    winner = pl.col(WINNER)
    decision = (winner.replace_strict(list(range(len(names))), names, default=None, return_dtype=pl.String)
                if names else pl.lit(None, pl.String))
    lazy = signals.lazy().with_columns(compiled.match_columns())
    for stage in compiled.winner_stages():
        lazy = lazy.with_columns(stage)
    return lazy.select(*(pl.col(match_column(n)) for n in names), decision.alias("decision")).collect()
