"""Decisions: a rule tree, its precedence (tier, priority), and its action (models, algorithm, plugins)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import SpecModel
from .rules import RuleNode


class ModelRef(SpecModel):
    model: str
    use_reasoning: bool | None = None
    reasoning_effort: str | None = None
    reasoning_mode: str | None = None
    reasoning_description: str | None = None
    lora_name: str | None = None
    weight: float | None = None


class Algorithm(SpecModel):
    """``{type, <type>: {...}, minimum_candidates, on_error}``; the sub-block stays an extra key."""

    type: str
    minimum_candidates: int | None = None
    on_error: str | None = None

    def options(self) -> dict[str, Any]:
        block = self.extra_fields().get(self.type)
        return dict(block) if isinstance(block, dict) else {}


class Plugin(SpecModel):
    type: str
    configuration: dict[str, Any] | None = None


class Decision(SpecModel):
    name: str
    description: str | None = None
    priority: int | None = None
    tier: int | None = None
    rules: RuleNode | None = None
    model_refs: list[ModelRef] | None = Field(default=None, alias="modelRefs")
    algorithm: Algorithm | None = None
    plugins: list[Plugin] | None = None

    @property
    def is_catch_all(self) -> bool:
        return self.rules is None or self.rules.is_catch_all

    @property
    def answers_without_model(self) -> bool:
        """A ``fast_response`` plugin answers the request itself, no model called (the router's
        ``config/plugin_registry.go``; see :mod:`policies.simulation.outcomes`): a block."""
        return any(p.type == "fast_response" for p in self.plugins or [])

    @property
    def effective_priority(self) -> int:
        return self.priority or 0

    @property
    def effective_tier(self) -> int:
        return self.tier or 0

    def models(self) -> list[str]:
        return [ref.model for ref in self.model_refs or []]

    def action_key(self) -> tuple:
        """What the decision does, normalised: equal keys mean routing here or there is the same."""
        refs = tuple(sorted((r.model, bool(r.use_reasoning), r.reasoning_effort or "", r.lora_name or "")
                            for r in self.model_refs or []))
        algorithm = repr(sorted(self.algorithm.to_spec().items())) if self.algorithm else "static"
        plugins = tuple(sorted(repr(p.to_spec()) for p in self.plugins or []))
        return refs, algorithm, plugins
