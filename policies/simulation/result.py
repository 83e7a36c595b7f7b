"""The outcome of one simulation: per-request routing plus what the numbers rest on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..model import Policy
from .extract import Extraction
from .outcomes import ANSWERED_BY, Outcomes
from .selection import Selection


@dataclass
class SimulationResult:
    """``requests`` has one row per request: ``request_id, decision`` (null = default model),
    ``model, cost_usd, latency_ms, quality, quality_source, answered_by`` (the plugin that answered
    without calling ``model``, null when the model answered; :mod:`.outcomes`), then
    ``match::<decision>`` and the ``fired::…``/``conf::…`` leaf columns (names from :mod:`policies.columns`)."""

    policy: Policy
    profile: str
    requests: pl.DataFrame
    extraction: Extraction
    selections: list[Selection]
    outcomes: Outcomes
    mode: str
    seconds: float

    @property
    def decisions(self) -> list[str]:
        return [s.decision for s in self.selections]

    @property
    def unavailable(self) -> dict[str, str]:
        """Signals (``type:name``) that could not be computed offline, with the reason."""
        return dict(self.extraction.unavailable)

    @property
    def replayed(self) -> dict[str, str]:
        """Signals (``type:name``) not computed here but replayed from the log's prior signals, with why
        they could not be computed (:mod:`.logged_signals`)."""
        return dict(self.extraction.replayed)

    @property
    def approximations(self) -> dict[str, str]:
        """Decisions whose model selection is approximated, with the reason."""
        return {s.decision: s.note for s in self.selections if s.note}

    def summary(self) -> dict[str, Any]:
        """Policy-level metrics (traffic spec §4); see :func:`.report.summary`."""
        from .entrypoints import route_summary
        from .report import summary
        return {**summary(self), **route_summary(self.requests)}

    def per_decision(self) -> pl.DataFrame:
        """One row per decision plus the default route; see :func:`.report.per_decision`."""
        from .report import per_decision
        return per_decision(self)

    def outputs(self) -> pl.DataFrame:
        """The columns ``--out`` writes: identity, decision, model, the three outcomes, who answered, and
        the model asked for with the route and recipe it took (a run that routed by model name)."""
        from .entrypoints import ROUTING_COLUMNS
        return self.requests.select("request_id", "decision", "model", "cost_usd", "latency_ms",
                                    "quality", "quality_source", ANSWERED_BY,
                                    *(c for c in ROUTING_COLUMNS if c in self.requests.columns))
