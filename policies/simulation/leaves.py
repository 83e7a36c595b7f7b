"""Which rule leaves a routing profile references, and which signal definition each one reads."""

from __future__ import annotations

from dataclasses import dataclass

from ..evaluate import LeafKey, leaf_key
from ..model import RuleNode, Routing
from ..model.signals import Signal


@dataclass(frozen=True)
class Leaf:
    """A distinct rule leaf: its key, one node that spells it, and its signal (None if undefined)."""

    key: LeafKey
    node: RuleNode
    signal: Signal | None

    @property
    def leaf_type(self) -> str:
        return self.key[0]


def referenced_leaves(routing: Routing) -> list[Leaf]:
    """Every distinct leaf of every decision, in first-seen order (projection leaves included)."""
    seen: dict[LeafKey, Leaf] = {}
    for decision in routing.all_decisions():
        if decision.rules is None:
            continue
        for _, node in decision.rules.leaves():
            key = leaf_key(node)
            if key not in seen:
                signal = None if node.type == "projection" else routing.evaluated_signal(str(node.type), str(node.name))
                seen[key] = Leaf(key, node, signal)
    return list(seen.values())
