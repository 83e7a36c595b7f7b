"""Projections: partitions (exclusive signal groups), weighted scores and threshold-band mappings."""

from __future__ import annotations

from typing import Any

from .base import SpecModel


class Partition(SpecModel):
    name: str
    semantics: str | None = None
    temperature: float | None = None
    members: list[str] | None = None
    default: str | None = None


class ProjectionScore(SpecModel):
    name: str
    method: str | None = None
    inputs: list[dict[str, Any]] | None = None


class ProjectionMapping(SpecModel):
    name: str
    source: str | None = None
    method: str | None = None
    calibration: dict[str, Any] | None = None
    outputs: list[dict[str, Any]] | None = None

    def output_names(self) -> list[str]:
        return [str(o.get("name")) for o in self.outputs or [] if isinstance(o, dict) and o.get("name")]


class Projections(SpecModel):
    partitions: list[Partition] | None = None
    scores: list[ProjectionScore] | None = None
    mappings: list[ProjectionMapping] | None = None

    def output_names(self) -> set[str]:
        """Names a ``{type: projection}`` leaf may reference: mapping outputs (and partition members' group)."""
        return {name for m in self.mappings or [] for name in m.output_names()}
