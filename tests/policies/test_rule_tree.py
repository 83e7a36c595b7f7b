"""The four back-ends of the one rule-tree compiler agree on random trees and random signal states.

Trees include the shapes validation reports but the router still reads (unknown operators, NOT of
two children, empty AND / OR); states give each leaf a random verdict and, for scored leaves, a
confidence. Python evaluation, the vectorised simulation, the solver (z3, leaves pinned) and the
traffic weighting of findings must give the same truth value per row, and the evaluator and the
simulation the same confidence and scored flag.
"""

from __future__ import annotations

import random

import polars as pl
import z3

from policies.columns import confidence_column, fired_column
from policies.conflicts.traffic import _rule_expr
from policies.evaluate import SignalHit, evaluate_tree, leaf_key
from policies.model import RuleNode
from policies.rule_tree import fold
from policies.simulation.decide import compile_tree

LEAVES = [("keyword", f"k{i}") for i in range(3)] + [("embedding", f"e{i}") for i in range(3)]
SCORED = {key for key in LEAVES if key[0] == "embedding"}


def _random_tree(rng: random.Random, depth: int) -> RuleNode:
    if depth == 0 or rng.random() < 0.3:
        kind, name = rng.choice(LEAVES)
        return RuleNode.leaf(kind, name)
    op = rng.choice(["AND", "OR", "NOT", "NOT", "and", "XOR"])
    width = 1 if op.upper() == "NOT" and rng.random() < 0.8 else rng.randint(0, 3)
    return RuleNode(operator=op, conditions=[_random_tree(rng, depth - 1) for _ in range(width)])


class _PinnedZ3:
    """z3 back-end with every leaf a free Bool, so a state pins it."""

    def leaf(self, node):
        return z3.Bool(":".join(leaf_key(node)))

    def all_of(self, node, children):
        return z3.And(children) if children else z3.BoolVal(True)

    def any_of(self, node, children):
        return z3.Or(children) if children else z3.BoolVal(False)

    def negate(self, node, child):
        return z3.Not(child)

    def never(self, node, children):
        return z3.BoolVal(False)


def test_backends_agree_on_random_trees():
    rng = random.Random(7)
    for _ in range(120):
        tree = _random_tree(rng, 4)
        states = []
        for _ in range(12):
            state = {}
            for key in LEAVES:
                fired = rng.random() < 0.5
                state[key] = SignalHit(fired, round(rng.random(), 3) if key in SCORED and fired else None)
            states.append(state)
        frame = pl.DataFrame({
            **{fired_column(k): [s[k].fired for s in states] for k in LEAVES},
            **{confidence_column(k): [s[k].confidence for s in states] for k in SCORED},
        }, schema_overrides={confidence_column(k): pl.Float64 for k in SCORED})
        node = compile_tree(tree, lambda key: key in SCORED)
        vectorised = frame.with_columns(v=node.value, c=node.conf, s=node.scored, w=_rule_expr(frame, tree))
        formula = fold(tree, _PinnedZ3())
        for i, state in enumerate(states):
            reference = evaluate_tree(tree, state)
            pinned = [(z3.Bool(":".join(k)), z3.BoolVal(state[k].fired)) for k in LEAVES]
            solved = z3.is_true(z3.simplify(z3.substitute(formula, *pinned)))
            row = vectorised.row(i, named=True)
            where = f"{tree.describe()} row {i}"
            assert row["v"] == reference.value == row["w"] == solved, where
            assert abs(row["c"] - reference.confidence) < 1e-12, where
            assert row["s"] == reference.scored, where


def test_missing_tree_is_the_catch_all_everywhere():
    state = {}
    assert evaluate_tree(None, state).value
    assert z3.is_true(fold(None, _PinnedZ3()))
    frame = pl.DataFrame({"x": [1, 2]})
    assert frame.with_columns(v=compile_tree(None, lambda key: False).value)["v"].to_list() == [True, True]
