"""Model cards: semantic metadata about each routable model (``routing.modelCards``)."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import SpecModel


class ModelCard(SpecModel):
    # Fields the 0.4.0 layout does not accept; kept in our model, never exported.
    NOT_EXPORTED: ClassVar[frozenset[str]] = frozenset({"quality_score"})

    name: str
    display_name: str | None = None
    publisher: str | None = None
    family: str | None = None
    description: str | None = None
    param_size: str | None = None
    context_window_size: int | None = None
    max_output_tokens: int | None = None
    capabilities: list[str] | None = None
    loras: list[dict[str, Any]] | None = None
    modalities: dict[str, Any] | None = None
    tags: list[str] | None = None
    quality_score: float | None = None
