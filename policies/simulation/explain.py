"""Why one request routed where it did, and the smallest threshold change that would move it.

The explanation re-evaluates the request with the reference single-request semantics
(:func:`policies.evaluate.route`) from the simulated ``fired::``/``conf::`` columns, so what it
prints is exactly what the batch path decided. The *flip* search tries, for every thresholded
signal the request's leaves use, the threshold just past the request's own score on each side,
re-evaluates that signal's leaves with :meth:`Extractor.leaf` on the request's raw scores, and
keeps the smallest change that gives a different winner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..columns import confidence_column, fired_column
from ..evaluate import LeafKey, RouteResult, SignalHit, route
from ..model import Policy
from .engine import Simulator, routing_of
from .leaves import referenced_leaves
from .signals import Extractor, raw_column

EPS = 1e-6


@dataclass
class Flip:
    """Setting ``signal``'s ``field`` to ``value`` (from ``current``) changes the winner to ``winner``."""

    signal: str
    field: str
    current: float
    value: float
    winner: str | None


@dataclass
class Explanation:
    request_id: str
    decision: str | None
    model: str | None
    route: RouteResult
    signals: list[dict[str, Any]]
    flip: Flip | None
    notes: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """A readable report: signals vs thresholds, each tree, the ranking, the flip."""
        lines = [f"request {self.request_id}: decision={self.decision or '(default)'} model={self.model}",
                 f"decided by: {self.route.decided_by}", "", "signals:"]
        for s in self.signals:
            conf = "" if s["conf"] is None else f" score={s['conf']:.4f}"
            thr = "" if s["threshold"] is None else f" threshold={s['threshold']}"
            lines.append(f"  {'✓' if s['fired'] else '✗'} {s['leaf']}{conf}{thr}")
        for name, reason in self.notes.items():
            lines.append(f"  ? {name}: unavailable ({reason})")
        lines += ["", "decisions:"]
        for name, tree in self.route.trees.items():
            lines.append(f"  {name}:")
            lines.append(tree.describe(2))
        lines += ["", "ranking:"]
        for i, c in enumerate(self.route.ranked, 1):
            conf = "unscored" if c.confidence is None else f"{c.confidence:.4f}"
            lines.append(f"  {i}. {c.decision.name} (tier {c.decision.effective_tier}, "
                         f"priority {c.decision.effective_priority}, confidence {conf})")
        if self.flip:
            lines += ["", f"smallest flip: {self.flip.signal}.{self.flip.field} {self.flip.current} → "
                          f"{self.flip.value:.6g} routes to {self.flip.winner or '(default)'}"]
        return "\n".join(lines)


def _state(row: dict[str, Any], keys: list[LeafKey]) -> dict[LeafKey, SignalHit]:
    return {k: SignalHit(bool(row[fired_column(k)]), row[confidence_column(k)]) for k in keys}


def explain(simulator: Simulator, policy: Policy, request_id: str, profile: str = "") -> Explanation:
    """Explain the routing of ``request_id`` from ``simulator``'s traffic under ``policy``."""
    routing = routing_of(policy, profile)
    plan = simulator.plan(policy, profile)
    frame = plan.query.filter(pl.col("request_id") == request_id).collect()
    if frame.height == 0:
        raise KeyError(f"request {request_id!r} is not in the traffic")
    row = frame.row(0, named=True)
    keys = list(plan.extraction.leaves)
    state = _state(row, keys)
    result = route(routing, state, policy.default_model, simulator.mode)
    raw = plan.extraction.raw.filter(pl.col("request_id") == request_id)
    signals, flips = [], []
    for leaf in referenced_leaves(routing):
        threshold = getattr(leaf.signal, "threshold", None) if leaf.signal else None
        signals.append({"leaf": ":".join(leaf.key), "fired": state[leaf.key].fired,
                        "conf": state[leaf.key].confidence, "threshold": threshold})
        extractor = Extractor.for_leaf_type(leaf.leaf_type)
        if extractor is None or leaf.signal is None or state[leaf.key].confidence is None:
            continue
        current = threshold if threshold is not None else 0.0
        score = state[leaf.key].confidence
        for value in (score - EPS, score + EPS):
            variant = leaf.signal.model_copy(update={"threshold": value})
            col = lambda part, s=leaf.signal: pl.col(raw_column(leaf.leaf_type, s.name, part))  # noqa: E731
            changed = dict(state)
            for other in referenced_leaves(routing):
                if other.signal is leaf.signal:
                    hit = raw.select(extractor.leaf(variant, other.node, col).fired.alias("f")).item()
                    changed[other.key] = SignalHit(bool(hit), state[other.key].confidence)
            winner = route(routing, changed, policy.default_model, simulator.mode).decision_name
            if winner != result.decision_name:
                flips.append(Flip(f"{leaf.key[0]}:{leaf.signal.name}", "threshold", current, value, winner))
    flip = min(flips, key=lambda f: abs(f.value - f.current)) if flips else None
    return Explanation(request_id, row["decision"], row["model"], result, signals, flip,
                       dict(plan.extraction.unavailable))


def explain_text(policy: Policy, text: str, *, context: Any = None, profile: str = "") -> Explanation:
    """Explain how a single prompt would route (a one-request traffic table)."""
    requests = pl.DataFrame({"request_id": ["text"], "prompt": [text],
                             "messages": [[{"role": "user", "content": text}]]})
    return explain(Simulator(requests, context=context), policy, "text", profile)
