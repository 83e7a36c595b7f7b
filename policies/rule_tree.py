"""The one rule-tree compiler: how the router reads a decision's tree, with pluggable back-ends.

:func:`fold` owns the tree's Boolean structure exactly as vLLM SR evaluates it
(``src/semantic-router/pkg/decision/engine.go``: a leaf asks its signal; AND needs every child and
an empty AND matches everything; OR needs one child and an empty OR matches nothing; NOT negates its
single child; a root operator the router does not know is read as OR, as the Aug-2026 router does
(validation reports it); a missing tree is the catch-all ``{}``). A NOT with other than one child
is a validation error and never matches here.

Back-ends only say what a leaf is and how to combine already-compiled children; they never walk
the tree themselves, so the single-request evaluator (:mod:`policies.evaluate`), the vectorised
simulation (:mod:`policies.simulation.decide`), the solver (:mod:`policies.conflicts.encoding`) and
the traffic weighting of findings (:mod:`policies.conflicts.traffic`) cannot drift apart.
"""

from __future__ import annotations

from typing import Callable, Protocol, TypeVar

from .model import RuleNode

T = TypeVar("T")

CATCH_ALL = RuleNode(operator="AND", conditions=[])


class TreeBackend(Protocol[T]):
    """What one back-end makes of leaves and connectives (``node`` is passed for back-ends that keep it)."""

    def leaf(self, node: RuleNode) -> T: ...

    def all_of(self, node: RuleNode, children: list[T]) -> T: ...

    def any_of(self, node: RuleNode, children: list[T]) -> T: ...

    def negate(self, node: RuleNode, child: T) -> T: ...

    def never(self, node: RuleNode, children: list[T]) -> T: ...


def fold(node: RuleNode | None, backend: TreeBackend[T],
         pinned: Callable[[RuleNode], T | None] | None = None) -> T:
    """Compile ``node`` with ``backend``; ``pinned(node)`` may replace any subtree by a fixed value."""
    node = CATCH_ALL if node is None else node
    if pinned is not None and (fixed := pinned(node)) is not None:
        return fixed
    if node.is_leaf:
        return backend.leaf(node)
    children = [fold(child, backend, pinned) for child in node.conditions or []]
    op = node.op
    if op == "NOT":
        return backend.negate(node, children[0]) if len(children) == 1 else backend.never(node, children)
    if op == "AND":
        return backend.all_of(node, children)
    return backend.any_of(node, children)
