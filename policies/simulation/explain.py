"""Why one request routed where it did, and the smallest threshold change that would move it.

The explanation re-evaluates the request with the reference single-request semantics
(:func:`policies.evaluate.route`) from the simulated ``fired::``/``conf::`` columns, so what it
prints is exactly what the batch path decided. The *flip* search tries, for every numeric
cut-off of every signal the request's leaves use (``threshold``, BM25 / n-gram keyword
thresholds, complexity bands: :meth:`Extractor.numeric_thresholds`), a value just past each of
the request's own scores on either side (its leaf confidence and every raw score of that
signal, e.g. each keyword's BM25 score), re-evaluates that signal's leaves with
:meth:`Extractor.leaf` on the request's raw scores, and keeps the smallest change that gives a
different winner.

Each signal that did not fire gets a reason (``why_not``): its score against its threshold, and the
nearest of its own items where the raw scores are per item (the keyword that scored highest, or
that none occurs); a domain whose classifier ranked another label first says so. Numbers print with
three decimals (:func:`policies.formatting.score`), a missing one as ``n/a``, everywhere in the text.

The request is explained where :meth:`Simulator.simulate` routes it (:mod:`.entrypoints`): in the
recipe its model name selects (a looper alias: only that looper's decisions), or, when it named a
configured model, as passed through to that model with no signal or decision evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..columns import confidence_column, fired_column
from ..evaluate import LeafKey, RouteResult, SignalHit, route
from ..formatting import score
from ..model import Policy
from ..model.recipes import PASSTHROUGH, UNRESOLVED, Route
from ..signals.base import Extractor, raw_column
from .engine import Simulator, routing_of
from .entrypoints import scoped
from .leaves import referenced_leaves
from .report import label_of

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
    requested: str | None = None  # the request's model name
    via: str | None = None  # how that name reached its profile (policies.model.recipes); None: profile forced
    recipe: str | None = None  # the router's recipe name; None for passthrough

    @property
    def passthrough(self) -> bool:
        """The request named a configured model: no signal or decision was evaluated."""
        return self.via == PASSTHROUGH

    @property
    def label(self) -> str:
        """The decision as reports, the Sankey and the drill-down name it (:func:`.report.label_of`)."""
        return label_of(self.decision, self.via)

    def route_note(self) -> str | None:
        """How the request's model name chose what evaluated it; None when a profile was forced."""
        if self.via is None:
            return None
        asked = "no model name" if self.requested is None else f"model name {self.requested!r}"
        if self.passthrough:
            return (f"passed through to {self.model}: the request named this configured model ({asked}), "
                    "so the router evaluated no signal and no decision")
        if self.via == UNRESOLVED:
            unknown = ("the request names no model" if self.requested is None
                       else f"{asked} is no alias, entrypoint or configured model")
            return f"recipe {self.recipe}: {unknown}, so it is simulated as if sent to an auto alias"
        return f"recipe {self.recipe}, chosen by {asked} (route: {self.via})"

    def text(self) -> str:
        """A readable report: signals vs thresholds, each tree, the ranking, the flip."""
        note = self.route_note()
        lines = [f"request {self.request_id}: decision={self.label} model={self.model}", *([note] if note else [])]
        if self.passthrough:
            return "\n".join(lines)
        lines += [f"decided by: {self.route.decided_by}", "", "signals:"]
        for s in self.signals:
            conf = "" if s["conf"] is None else f" score={score(s['conf'])}"
            thr = "" if s["threshold"] is None else f" threshold={score(s['threshold'])}"
            why = f" ({s['why_not']})" if s.get("why_not") else ""
            lines.append(f"  {'✓' if s['fired'] else '✗'} {s['leaf']}{conf}{thr}{why}")
            lines += [f"      {describe_evidence(e)}" for e in s.get("evidence", [])]
        for name, reason in self.notes.items():
            lines.append(f"  ? {name}: unavailable ({reason})")
        lines += ["", "decisions:"]
        for name, tree in self.route.trees.items():
            lines.append(f"  {name}:")
            lines.append(tree.describe(2))
        lines += ["", "ranking:"]
        for i, c in enumerate(self.route.ranked, 1):
            conf = "unscored" if c.confidence is None else score(c.confidence)
            lines.append(f"  {i}. {c.decision.name} (tier {c.decision.effective_tier}, "
                         f"priority {c.decision.effective_priority}, confidence {conf})")
        if self.flip:
            lines += ["", f"smallest flip: {self.flip.signal}.{self.flip.field} {score(self.flip.current)} → "
                          f"{score(self.flip.value)} routes to {label_of(self.flip.winner, self.via)}"]
        return "\n".join(lines)


def describe_evidence(entity: dict[str, Any]) -> str:
    """One entity a signal fired on (:meth:`PiiExtractor.evidence`): ``TYPE 'words' score``, marked when
    the allow-list allows its type."""
    return f"{entity['type']} {entity['text']!r} {score(entity['score'])}{' (allowed)' if entity['allowed'] else ''}"


def _state(row: dict[str, Any], keys: list[LeafKey]) -> dict[LeafKey, SignalHit]:
    return {k: SignalHit(bool(row[fired_column(k)]), row[confidence_column(k)]) for k in keys}


def explain(simulator: Simulator, policy: Policy, request_id: str, profile: str | None = None) -> Explanation:
    """Explain the routing of ``request_id`` from ``simulator``'s traffic under ``policy``: where its
    model name routes it, as ``simulate`` does, or (``profile``, "" = top-level routing) in that profile."""
    found = (simulator.frame["request_id"] == request_id).arg_true()
    if found.len() == 0:
        raise KeyError(f"request {request_id!r} is not in the traffic")
    requested = simulator.model_requested[found[0]]
    chosen: Route | None = None
    if profile is None:
        chosen = policy.entrypoints_table().resolve(requested)
        if chosen.via == PASSTHROUGH:
            return Explanation(request_id, None, chosen.model, RouteResult(None, chosen.model, [], {}, PASSTHROUGH),
                               [], None, requested=requested, via=chosen.via)
        policy, profile = scoped(policy, chosen.algorithm, chosen.profile), chosen.profile
    routing = routing_of(policy, profile)
    plan = simulator.plan(policy, profile)
    row = plan.query.filter(pl.col("request_id") == request_id).collect().row(0, named=True)
    keys = list(plan.extraction.leaves)
    state = _state(row, keys)
    result = route(routing, state, policy.default_model, simulator.mode)
    raw = plan.extraction.raw.filter(pl.col("request_id") == request_id)
    signals, flips = [], []
    leaves = referenced_leaves(routing)
    for leaf in leaves:
        has_threshold = leaf.signal is not None and "threshold" in type(leaf.signal).model_fields
        threshold = leaf.signal.effective_threshold() if has_threshold else None
        signals.append({"leaf": ":".join(leaf.key), "fired": state[leaf.key].fired,
                        "conf": state[leaf.key].confidence, "threshold": threshold,
                        "why_not": None})
        extractor = Extractor.for_leaf_type(leaf.leaf_type)
        one = simulator.frame[found[0]:found[0] + 1]
        if not state[leaf.key].fired:  # the nearest exemplar where the kind can name it (embedding candidates)
            nearest = getattr(extractor, "nearest", None)
            closest = nearest(leaf.signal, one, simulator.store.context_for(leaf.signal)) \
                if nearest is not None and leaf.signal is not None else None
            signals[-1]["why_not"] = why_not(leaf, state[leaf.key].confidence, threshold, raw, closest)
        evidence = getattr(extractor, "evidence", None)
        if evidence is not None and leaf.signal is not None:  # what fired, e.g. PII types and words
            signals[-1]["evidence"] = evidence(leaf.signal, one, simulator.store.context_for(leaf.signal))
        if leaf.signal is not None:
            same_signal = [o for o in leaves if o.signal is leaf.signal]
            flips += _flips(routing, policy, simulator, leaf, same_signal, state, raw, result.decision_name)
    flip = min(flips, key=lambda f: abs(f.value - f.current)) if flips else None
    return Explanation(request_id, row["decision"], row["model"], result, signals, flip,
                       dict(plan.extraction.unavailable), requested, *((chosen.via, chosen.recipe) if chosen else ()))


def why_not(leaf: Any, confidence: float | None, threshold: float | None, raw: pl.DataFrame,
            nearest: tuple[str, float] | None = None) -> str:
    """Why ``leaf`` did not fire for the one request in ``raw``: score against threshold, the nearest
    exemplar (``nearest``: the kind's ``Extractor.nearest``, e.g. an embedding candidate, and its
    similarity), the nearest keyword (per-keyword raw scores ``k<i>``), or the classifier's top label
    lying elsewhere (a domain's ``top`` flag, :mod:`policies.signals.domain`)."""
    reasons = []
    if confidence is not None and threshold is not None:
        reasons.append(f"score {score(confidence)} < threshold {score(threshold)}")
    if nearest is not None:
        reasons.append(f"nearest candidate {nearest[0]!r} at similarity {score(nearest[1])}")
    parts = {}
    if leaf.signal is not None:
        prefix = raw_column(leaf.leaf_type, leaf.signal.name, "")
        parts = {c[len(prefix):]: raw[c][0] for c in raw.columns if c.startswith(prefix)}
    keywords = list(getattr(leaf.signal, "keywords", None) or [])
    scored = [(float(parts[f"k{i}"] or 0.0), k) for i, k in enumerate(keywords) if f"k{i}" in parts]
    if scored:
        best, nearest = max(scored)
        cut_offs = Extractor.for_leaf_type(leaf.leaf_type).numeric_thresholds(leaf.signal)  # e.g. bm25_threshold
        below = "".join(f" < {field} {score(value)}" for field, value in cut_offs.items())
        reasons.append(f"nearest keyword {nearest!r} scores {score(best)}{below}" if best > 0
                       else "none of its keywords occurs")
    if parts.get("top") == 0.0:
        reasons.append(f"the classifier ranked another label first (top probability {score(parts.get('top_prob'))})")
    return "; ".join(reasons) or "no match"


def _flips(routing: Any, policy: Policy, simulator: Simulator, leaf: Any, same_signal: list[Any],
           state: dict[LeafKey, SignalHit], raw: pl.DataFrame, winner: str | None) -> list[Flip]:
    """Every single-field change of ``leaf.signal``'s cut-offs, just past one of this request's
    scores, that changes the winner (``same_signal``: the routing's leaves on that signal)."""
    extractor = Extractor.for_leaf_type(leaf.leaf_type)
    if extractor is None:
        return []
    prefix = raw_column(leaf.leaf_type, leaf.signal.name, "")
    scores = {float(v) for c in raw.columns if c.startswith(prefix)
              for v in [raw[c][0]] if isinstance(v, (int, float)) and not isinstance(v, bool)}
    scores |= {state[o.key].confidence for o in same_signal if state[o.key].confidence is not None}
    col = lambda part: pl.col(raw_column(leaf.leaf_type, leaf.signal.name, part))  # noqa: E731
    flips = []
    for field, current in extractor.numeric_thresholds(leaf.signal).items():
        for value in sorted({s + d for s in scores for d in (-EPS, EPS)}, key=lambda v: abs(v - current)):
            variant = leaf.signal.model_copy(update={field: value})
            changed = dict(state)
            for other in same_signal:
                hit = raw.select(extractor.leaf(variant, other.node, col).fired.alias("f")).item()
                changed[other.key] = SignalHit(bool(hit), state[other.key].confidence)
            moved_to = route(routing, changed, policy.default_model, simulator.mode).decision_name
            if moved_to != winner:
                flips.append(Flip(f"{leaf.key[0]}:{leaf.signal.name}", field, current, value, moved_to))
                break  # candidates are nearest first: the first flip is this field's smallest
    return flips


def explain_text(policy: Policy, text: str, *, context: Any = None, profile: str | None = None) -> Explanation:
    """Explain how a single prompt would route (a one-request traffic table)."""
    requests = pl.DataFrame({"request_id": ["text"], "prompt": [text],
                             "messages": [[{"role": "user", "content": text}]]})
    return explain(Simulator(requests, context=context), policy, "text", profile)
