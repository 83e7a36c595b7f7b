"""Projections: partitions (exclusive signal groups), weighted scores and threshold-band mappings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import SpecModel


class Partition(SpecModel):
    name: str
    semantics: str | None = None
    temperature: float | None = None
    members: list[str] | None = None
    default: str | None = None


@dataclass(frozen=True)
class InputReading:
    """How a score input turns its signal into a number, as the router's ``projectionInputValue``
    reads it (``src/semantic-router/pkg/classification/classifier_projection_inputs.go``), for the
    simulation and the solver alike: ``raw`` is the signal's value (0 when it has none);
    ``confidence`` is 0 unless the signal matched, then its confidence (1.0 when it reports none
    or one <= 0); anything else, ``binary`` or an unknown source, is ``match`` (a written 0 or
    none reads 1.0) when matched, else ``miss``."""

    source: str  # "raw", "confidence" or "binary"
    match: float = 1.0
    miss: float = 0.0

    @classmethod
    def of(cls, item: dict[str, Any]) -> "InputReading":
        source = str(item.get("value_source") or "").strip().lower()
        if source in ("raw", "confidence"):
            return cls(source)
        return cls("binary", float(item.get("match") or 0.0) or 1.0, float(item.get("miss") or 0.0))


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
