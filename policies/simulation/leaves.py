"""Which rule leaves a routing profile references, and which signal definition each one reads.

A leaf reads its signal as the router evaluates it among the kind's other signals and the
config-wide settings (:meth:`Signal.among`), bound once per signal so leaves on one signal share it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..evaluate import LeafKey, leaf_key
from ..model import RuleNode, Routing
from ..model.signals import Signal
from ..signals.settings import SignalSettings


@dataclass(frozen=True)
class Leaf:
    """A distinct rule leaf: its key, one node that spells it, and its signal (None if undefined)."""

    key: LeafKey
    node: RuleNode
    signal: Signal | None

    @property
    def leaf_type(self) -> str:
        return self.key[0]


def bound_signal(routing: Routing, signal: Signal | None, settings: SignalSettings) -> Signal | None:
    """``signal`` as the router evaluates it beside the kind's other declared signals."""
    if signal is None or routing.signals is None:
        return signal
    return signal.among(routing.signals.of_kind(type(signal).leaf_type), settings)


def referenced_leaves(routing: Routing, settings: SignalSettings | None = None) -> list[Leaf]:
    """Every distinct leaf of every decision, in first-seen order (projection leaves included);
    ``settings``: the config's signal settings (the router's defaults when None)."""
    settings = settings or SignalSettings()
    seen: dict[LeafKey, Leaf] = {}
    bound: dict[int, Signal | None] = {}
    for decision in routing.all_decisions():
        if decision.rules is None:
            continue
        for _, node in decision.rules.leaves():
            key = leaf_key(node)
            if key not in seen:
                signal = None if node.type == "projection" else routing.evaluated_signal(str(node.type), str(node.name))
                if id(signal) not in bound:
                    bound[id(signal)] = bound_signal(routing, signal, settings)
                seen[key] = Leaf(key, node, bound[id(signal)])
    return list(seen.values())
