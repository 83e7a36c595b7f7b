"""Which model each decision sends a request to, and which selections are approximations.

``static`` (or no algorithm) is exact: the first modelRef (:func:`policies.evaluate.select_model`).
Every other algorithm needs live responses, load, learned selectors or an LLM call, so it cannot be
replayed offline: escalating ones (``confidence``, ``automix``) start from their cheapest candidate,
which is where a request lands unless escalated; the rest (``remom``, ``fusion``, ``ratings``,
``workflows``, ``router_dc``, ``hybrid``, ``latency_aware``, ``multi_factor``, ``prompt``, ``knn``,
``kmeans``, ``svm``, ``mlp``) are simulated as their first modelRef. Each approximation is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..evaluate import select_model
from ..model import Decision, Policy

EXACT = frozenset({"static"})
ESCALATING = frozenset({"confidence", "automix"})


@dataclass(frozen=True)
class Selection:
    """The model a decision routes to; ``note`` explains an approximation (None when exact)."""

    decision: str
    model: str | None
    note: str | None


def _price(policy: Policy, model: str) -> float:
    provider = policy.provider_model(model)
    pricing = provider.pricing if provider else None
    if pricing is None:
        return float("inf")
    return (pricing.prompt_per_1m or 0.0) + (pricing.completion_per_1m or 0.0)


def select(decision: Decision, policy: Policy) -> Selection:
    """The simulated model of ``decision`` under ``policy``'s pricing."""
    kind = (decision.algorithm.type if decision.algorithm else "static").lower()
    first = select_model(decision, policy.default_model)
    if first is None:
        return Selection(decision.name, policy.default_model,
                         "decision has no modelRefs; simulated on the default model")
    if kind in EXACT:
        return Selection(decision.name, first, None)
    if kind in ESCALATING:
        cheapest = min(decision.models(), key=lambda m: _price(policy, m))
        return Selection(decision.name, cheapest,
                         f"algorithm '{kind}' escalates on live responses; simulated as its cheapest candidate")
    return Selection(decision.name, first,
                     f"algorithm '{kind}' cannot be replayed offline; simulated as its first modelRef")
