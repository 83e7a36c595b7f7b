"""Decisions as Polars expressions: each rule tree compiled once, the winner in one vectorised pass.

Semantics are those of :func:`policies.evaluate.evaluate_tree` (the reference): a leaf reads its
``fired::`` column and its ``conf::`` column (null = crisp, counting as 1.0); AND is true when all
children are, with confidence the mean of all children (summed left to right, as Python's
``sum``, so ties compare equal bit for bit); OR takes the max confidence of its true children;
NOT reports 1.0 and no score. A node is *scored* when a scored leaf contributed, which is what
the #3079 comparability rule of :mod:`policies.ranking` looks at.

The winner follows :func:`policies.ranking.rank` key by key: each step keeps the candidates with
the best value of one key (tier, catch-all, priority, confidence when comparable), and the
alphabetically first survivor wins. When no leaf of any decision can be scored, confidence can
never matter and the winner is simply the first match in :func:`policies.ranking.static_order`,
compiled to one ``when/then`` chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import polars as pl

from ..columns import SEP, confidence_column, fired_column, match_column
from ..evaluate import LeafKey, leaf_key
from ..model import Decision, RuleNode
from ..ranking import MODES, static_order

WINNER = "_winner"  # index of the winning decision in Compiled.decisions (null = default model)


@dataclass(frozen=True)
class Node:
    """A compiled rule node: truth value, confidence and whether a scored signal contributed."""

    value: pl.Expr
    conf: pl.Expr
    scored: pl.Expr


def compile_tree(node: RuleNode | None, scored: Callable[[LeafKey], bool]) -> Node:
    """One rule tree over ``fired::``/``conf::`` columns; ``scored(key)`` says a leaf may carry a score."""
    if node is None:
        node = RuleNode(operator="AND", conditions=[])
    if node.is_leaf:
        key = leaf_key(node)
        fired = pl.col(fired_column(key)).fill_null(False)
        if not scored(key):
            return Node(fired, pl.lit(1.0), pl.lit(False))
        conf = pl.col(confidence_column(key))
        return Node(fired, conf.fill_null(1.0), conf.is_not_null())
    children = [compile_tree(c, scored) for c in node.conditions or []]
    op = node.op
    if op == "NOT":
        value = ~children[0].value if len(children) == 1 else pl.lit(False)
        return Node(value, pl.lit(1.0), pl.lit(False))
    if op == "AND":
        if not children:
            return Node(pl.lit(True), pl.lit(1.0), pl.lit(False))
        total = children[0].conf
        for child in children[1:]:
            total = total + child.conf
        return Node(pl.all_horizontal([c.value for c in children]), total / len(children),
                    pl.any_horizontal([c.scored for c in children]))
    # OR, and any unknown root operator (the Aug-2026 router evaluates it as OR)
    if not children:
        return Node(pl.lit(False), pl.lit(0.0), pl.lit(False))
    conf = pl.max_horizontal([pl.when(c.value).then(c.conf) for c in children]).fill_null(0.0)
    return Node(pl.any_horizontal([c.value for c in children]), conf,
                pl.any_horizontal([c.value & c.scored for c in children]))


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

    def winner(self) -> pl.Expr:
        """Index of the winning decision (UInt32, null when nothing matched)."""
        if not self.decisions:
            return pl.lit(None, dtype=pl.UInt32).alias(WINNER)
        if not self.scorable:
            return self._static_winner().alias(WINNER)
        if self.mode == "aug2026":
            return self._aug2026_winner().alias(WINNER)
        return self._current_winner().alias(WINNER)

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

    @staticmethod
    def _keep_best(alive: list[pl.Expr], values: list[pl.Expr], largest: bool) -> list[pl.Expr]:
        masked = [pl.when(a).then(v) for a, v in zip(alive, values)]
        best = pl.max_horizontal(masked) if largest else pl.min_horizontal(masked)
        return [a & (v == best) for a, v in zip(alive, values)]

    def _static_winner(self) -> pl.Expr:
        index = {id(d): i for i, d in enumerate(self.decisions)}
        if self.mode == "aug2026":  # no catch-all rule in that router
            ordered = sorted(self.decisions, key=lambda d: (d.effective_tier, -d.effective_priority, d.name))
        else:
            ordered = static_order(self.decisions)
        first = index[id(ordered[0])]
        chain = pl.when(self._m(first)).then(pl.lit(first, dtype=pl.UInt32))
        for d in ordered[1:]:
            i = index[id(d)]
            chain = chain.when(self._m(i)).then(pl.lit(i, dtype=pl.UInt32))
        return chain.otherwise(pl.lit(None, dtype=pl.UInt32))

    def _current_winner(self) -> pl.Expr:
        n = range(len(self.decisions))
        tiers = [pl.lit(d.effective_tier) for d in self.decisions]
        prios = [pl.lit(d.effective_priority) for d in self.decisions]
        alive = self._keep_best([self._m(i) for i in n], tiers, largest=False)
        real = [alive[i] if not self.decisions[i].is_catch_all else pl.lit(False) for i in n]
        any_real = pl.any_horizontal(real)
        alive = [real[i] if not self.decisions[i].is_catch_all else alive[i] & ~any_real for i in n]
        comparable = any_real & pl.all_horizontal([~real[i] | self._scored(i) for i in n])
        confs = [self._conf(i) for i in n]

        def by_conf(cands: list[pl.Expr]) -> list[pl.Expr]:
            best = self._keep_best(cands, confs, largest=True)
            return [pl.when(comparable).then(b).otherwise(c) for b, c in zip(best, cands)]

        if self.strategy == "confidence":
            alive = self._keep_best(by_conf(alive), prios, largest=True)
        else:
            alive = by_conf(self._keep_best(alive, prios, largest=True))
        return self._first_by_name(alive)

    def _aug2026_winner(self) -> pl.Expr:
        n = range(len(self.decisions))
        matches = [self._m(i) for i in n]
        tiers = [pl.lit(d.effective_tier) for d in self.decisions]
        prios = [pl.lit(d.effective_priority) for d in self.decisions]
        confs = [pl.when(self._scored(i)).then(self._conf(i)).otherwise(1.0) for i in n]
        tiered = pl.any_horizontal([m & (d.effective_tier > 0) for m, d in zip(matches, self.decisions)])
        by_tier = self._keep_best(self._keep_best(self._keep_best(matches, tiers, False), confs, True), prios, True)
        if self.strategy == "confidence":
            flat = self._keep_best(self._keep_best(matches, confs, True), prios, True)
        else:
            flat = self._keep_best(self._keep_best(matches, prios, True), confs, True)
        return pl.when(tiered).then(self._first_by_name(by_tier)).otherwise(self._first_by_name(flat))


def compile_decisions(decisions: Sequence[Decision], scored: Callable[[LeafKey], bool],
                      strategy: str = "priority", mode: str = "current") -> Compiled:
    """Compile every decision once (the result is reused by every re-simulation of the same policy)."""
    if mode not in MODES:
        raise ValueError(f"unknown ranking mode {mode!r}; use one of {MODES}")
    decisions = list(decisions)
    nodes = [compile_tree(d.rules, scored) for d in decisions]
    scorable = any(_can_score(d.rules, scored) for d in decisions)
    return Compiled(decisions, nodes, scorable, (strategy or "priority").lower(), mode)
