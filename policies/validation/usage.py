"""Unused signals: declared but referenced by no decision, projection or complexity composer."""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import Finding
from ..model import RuleNode, Routing, Signal
from .base import Context, profile_check, warning


def referenced_signals(routing: Routing) -> set[tuple[str, str]]:
    """(collection, signal name) pairs that something in the profile reads."""
    refs: set[tuple[str, str]] = set()

    def add_tree(tree: RuleNode | dict[str, Any] | None) -> None:
        node = RuleNode.from_spec(tree) if isinstance(tree, dict) else tree
        if node is None:
            return
        for _, leaf in node.leaves():
            kind = Signal.kind(leaf.type or "")
            if kind and leaf.name:
                refs.add((kind.collection, leaf.name.split(":")[0] if kind.leaf_type == "complexity" else leaf.name))

    for decision in routing.all_decisions():
        add_tree(decision.rules)
    for collection, signal in routing.all_signals():
        if collection == "complexity":
            add_tree(signal.composer)
    if routing.projections:
        names = {s.name: c for c, s in routing.all_signals()}
        for part in routing.projections.partitions or []:
            refs.update((names[m], m) for m in part.members or [] if m in names)
        for score in routing.projections.scores or []:
            for item in score.inputs or []:
                kind = Signal.kind(str(item.get("type")))
                if kind and item.get("name"):
                    refs.add((kind.collection, str(item["name"]).split(":")[0]))
    return refs


@profile_check
def unused_signals(ctx: Context) -> Iterator[Finding]:
    routing = ctx.profile.routing
    used = referenced_signals(routing)
    counters: dict[str, int] = {}
    for collection, signal in routing.all_signals():
        index = counters.get(collection, 0)
        counters[collection] = index + 1
        if collection == "hallucination" or (collection, signal.name) in used:
            continue
        yield warning("unused-signal", f"{collection} signal '{signal.name}' is declared but no decision, projection "
                      "or composer uses it, so it is never evaluated", ctx.path("signals", collection, index, "name"),
                      "reference it from a decision or remove it", signal=signal.name, collection=collection)
