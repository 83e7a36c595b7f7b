"""The router's winner order among matching decisions, defined once, as data (shared spec §7).

:data:`ORDERS` lists, per ranking mode and strategy, the keys the router compares in turn; every
consumer reads it: :func:`rank` (single-request evaluation and explanations), the vectorised
winner in :mod:`policies.simulation.decide`, :func:`static_order` (the solver's precedence: the
same keys without confidence) and :func:`decided_by`.

Current main (PR #3974, the default): tier ascending; catch-alls after real matches; then for
``strategy: priority`` priority descending, confidence descending, name ascending, and for
``strategy: confidence`` confidence, priority, name. Confidence is compared only when every
non-catch-all candidate in the tier has a scored confidence (#3079); otherwise it is skipped
(key ``comparable_confidence``). The ``aug2026`` compatibility mode has no catch-all rule, reads an
unscored confidence as 1.0 (key ``confidence``) and, when any matching decision has a tier above
0, orders tier → confidence → priority → name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .model import Decision

MODES = ("current", "aug2026")
STRATEGIES = ("priority", "confidence")
# (mode, strategy, some matching decision has tier > 0) -> keys compared in turn, best first
ORDERS: dict[tuple[str, str, bool], tuple[str, ...]] = {
    **{("current", "priority", tiered): ("tier", "catch_all", "priority", "comparable_confidence", "name")
       for tiered in (False, True)},
    **{("current", "confidence", tiered): ("tier", "catch_all", "comparable_confidence", "priority", "name")
       for tiered in (False, True)},
    ("aug2026", "priority", False): ("priority", "confidence", "name"),
    ("aug2026", "confidence", False): ("confidence", "priority", "name"),
    ("aug2026", "priority", True): ("tier", "confidence", "priority", "name"),
    ("aug2026", "confidence", True): ("tier", "confidence", "priority", "name"),
}
CONFIDENCE_KEYS = ("comparable_confidence", "confidence")
# Keys where the larger value wins; the others prefer the smaller (tier, catch-all last, name).
LARGEST_WINS = frozenset({"priority", "comparable_confidence", "confidence"})


@dataclass(frozen=True)
class Candidate:
    """A matching decision with the confidence the router would compute, if scored."""

    decision: Decision
    confidence: float | None  # None = unscored (crisp signals only)


def order_of(mode: str, strategy: str | None, tiered: bool) -> tuple[str, ...]:
    """The keys compared in turn for one request (``tiered``: a matching decision has tier > 0)."""
    if mode not in MODES:
        raise ValueError(f"unknown ranking mode {mode!r}; use one of {MODES}")
    strategy = (strategy or "").lower()
    return ORDERS[(mode, strategy if strategy in STRATEGIES else "priority", tiered)]


def key_value(key: str, c: Candidate, comparable: bool) -> float | str | bool:
    """The value a key compares for ``c`` (``comparable``: confidences may be compared in its tier)."""
    d = c.decision
    if key == "tier":
        return d.effective_tier
    if key == "catch_all":
        return d.is_catch_all
    if key == "priority":
        return d.effective_priority
    if key == "comparable_confidence":
        return (c.confidence or 0.0) if comparable and not d.is_catch_all else 0.0
    if key == "confidence":
        return c.confidence if c.confidence is not None else 1.0
    if key == "name":
        return d.name
    raise KeyError(key)


def _comparable(candidates: Sequence[Candidate]) -> dict[int, bool]:
    """Per tier: every non-catch-all candidate there has a scored confidence (#3079)."""
    tiers: dict[int, bool] = {}
    for c in candidates:
        if not c.decision.is_catch_all:
            tier = c.decision.effective_tier
            tiers[tier] = tiers.get(tier, True) and c.confidence is not None
    return tiers


def _sort_key(order: tuple[str, ...], comparable: dict[int, bool]):
    def key(c: Candidate) -> tuple:
        values = []
        for k in order:
            v = key_value(k, c, comparable.get(c.decision.effective_tier, False))
            values.append(-v if k in LARGEST_WINS else v)
        return tuple(values)
    return key


def rank(candidates: Sequence[Candidate], strategy: str = "priority", mode: str = "current") -> list[Candidate]:
    """Candidates best first, exactly as the router ranks them."""
    if not candidates:
        order_of(mode, strategy, False)  # an unknown mode is an error even with nothing to rank
        return []
    order = order_of(mode, strategy, any(c.decision.effective_tier > 0 for c in candidates))
    return sorted(candidates, key=_sort_key(order, _comparable(candidates)))


def static_order(decisions: Sequence[Decision], mode: str = "current", strategy: str = "priority") -> list[Decision]:
    """Precedence without confidence (the solver's, and the winner when nothing can be scored): the
    order's keys with confidence left out."""
    tiered = any(d.effective_tier > 0 for d in decisions)
    order = tuple(k for k in order_of(mode, strategy, tiered) if k not in CONFIDENCE_KEYS)
    return [c.decision for c in sorted((Candidate(d, None) for d in decisions), key=_sort_key(order, {}))]


def decided_by(ranked: Sequence[Candidate], strategy: str = "priority", mode: str = "current") -> str:
    """Which key separated the winner from the runner-up: tier, catch_all, priority, confidence or name."""
    if len(ranked) < 2:
        return "only_match" if ranked else "default"
    a, b = ranked[0], ranked[1]
    order = order_of(mode, strategy, any(c.decision.effective_tier > 0 for c in ranked))
    comparable = _comparable(ranked)
    for k in order:
        if k in CONFIDENCE_KEYS and (a.confidence is None or b.confidence is None):
            continue  # an unscored side: confidence did not decide (it reads as a default)
        if key_value(k, a, comparable.get(a.decision.effective_tier, True)) != key_value(
                k, b, comparable.get(b.decision.effective_tier, True)):
            return "confidence" if k in CONFIDENCE_KEYS else k
    return "name"
