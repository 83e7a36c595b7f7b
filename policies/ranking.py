"""The router's winner order among matching decisions, defined once (shared spec §7).

Current main (PR #3974, the default): tier ascending; catch-alls after real matches; then for
``strategy: priority`` priority descending, confidence descending, name ascending, and for
``strategy: confidence`` confidence, priority, name. Confidence is compared only when every
non-catch-all candidate in the tier has a scored confidence (#3079); otherwise it is skipped.
The ``aug2026`` compatibility mode orders tier → confidence → priority → name when any tier > 0.
Simulation uses these keys row-wise; conflict analysis uses :func:`static_order` (no confidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .model import Decision

MODES = ("current", "aug2026")


@dataclass(frozen=True)
class Candidate:
    """A matching decision with the confidence the router would compute, if scored."""

    decision: Decision
    confidence: float | None  # None = unscored (crisp signals only)


def static_order(decisions: Sequence[Decision]) -> list[Decision]:
    """Precedence without confidence: tier, catch-all last, priority desc, name asc (for the solver)."""
    return sorted(decisions, key=lambda d: (d.effective_tier, d.is_catch_all, -d.effective_priority, d.name))


def rank(candidates: Sequence[Candidate], strategy: str = "priority", mode: str = "current") -> list[Candidate]:
    """Candidates best first, exactly as the router ranks them."""
    if not candidates:
        return []
    if mode not in MODES:
        raise ValueError(f"unknown ranking mode {mode!r}; use one of {MODES}")
    strategy = (strategy or "priority").lower()
    if mode == "aug2026":
        tiered = any(c.decision.effective_tier > 0 for c in candidates)

        def key_aug(c: Candidate) -> tuple:
            conf = -(c.confidence if c.confidence is not None else 1.0)
            prio = -c.decision.effective_priority
            if tiered:
                return (c.decision.effective_tier, conf, prio, c.decision.name)
            return (prio, conf, c.decision.name) if strategy == "priority" else (conf, prio, c.decision.name)

        return sorted(candidates, key=key_aug)
    ordered: list[Candidate] = []
    for tier in sorted({c.decision.effective_tier for c in candidates}):
        pool = [c for c in candidates if c.decision.effective_tier == tier]
        real = [c for c in pool if not c.decision.is_catch_all]
        comparable = bool(real) and all(c.confidence is not None for c in real)

        def key(c: Candidate) -> tuple:
            conf = -(c.confidence or 0.0) if comparable and not c.decision.is_catch_all else 0.0
            prio = -c.decision.effective_priority
            first = (prio, conf) if strategy == "priority" else (conf, prio)
            return (c.decision.is_catch_all,) + first + (c.decision.name,)

        ordered.extend(sorted(pool, key=key))
    return ordered


def decided_by(ranked: Sequence[Candidate], strategy: str = "priority") -> str:
    """Which key separated the winner from the runner-up: tier, catch_all, priority, confidence or name."""
    if len(ranked) < 2:
        return "only_match" if ranked else "default"
    a, b = ranked[0], ranked[1]
    if a.decision.effective_tier != b.decision.effective_tier:
        return "tier"
    if a.decision.is_catch_all != b.decision.is_catch_all:
        return "catch_all"
    by_priority = a.decision.effective_priority != b.decision.effective_priority
    by_confidence = (a.confidence is not None and b.confidence is not None and a.confidence != b.confidence)
    if strategy == "confidence":
        return "confidence" if by_confidence else "priority" if by_priority else "name"
    return "priority" if by_priority else "confidence" if by_confidence else "name"
