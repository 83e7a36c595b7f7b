"""Routing profiles: the top-level ``routing`` block and each recipe's isolated copy of it
(recipes and entrypoints themselves: :mod:`.recipes`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from .base import SpecModel
from .decisions import Decision
from .model_cards import ModelCard
from .projections import Projections
from .signals import Signal, Signals


class Routing(SpecModel):
    strategy: str | None = None
    model_cards: list[ModelCard] | None = Field(default=None, alias="modelCards")
    signals: Signals | None = None
    projections: Projections | None = None
    decisions: list[Decision] | None = None

    def all_decisions(self) -> list[Decision]:
        return list(self.decisions or [])

    def all_signals(self) -> list[tuple[str, Signal]]:
        return self.signals.items() if self.signals else []

    def find_signal(self, leaf_type: str, name: str) -> Signal | None:
        """The declared signal a leaf names (what references point at)."""
        return self.signals.find(leaf_type, name) if self.signals else None

    def evaluated_signal(self, leaf_type: str, name: str) -> Signal | None:
        """The signal the router evaluates for a leaf (see :meth:`Signals.evaluated`)."""
        return self.signals.evaluated(leaf_type, name) if self.signals else None

    def decision(self, name: str) -> Decision | None:
        return next((d for d in self.decisions or [] if d.name == name), None)

    def lora_names(self) -> set[str]:
        """Names of the LoRA adapters its model cards declare (``modelCards[].loras[].name``)."""
        return {str(lora["name"]) for card in self.model_cards or [] for lora in card.loras or []
                if isinstance(lora, dict) and "name" in lora}

    @property
    def strategy_name(self) -> str:
        return (self.strategy or "priority").lower()


@dataclass(frozen=True)
class Profile:
    """One independently analysed routing profile: ``routing`` itself (name ``""``) or a recipe."""

    name: str
    routing: Routing
    path: tuple[Any, ...]

    @property
    def label(self) -> str:
        return self.name or "routing"
