"""The result of an import: the normalised tables plus where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from .schema import CANDIDATES_SCHEMA, REJECTS_SCHEMA, REQUESTS_SCHEMA, empty_frame


@dataclass(frozen=True)
class TrafficSource:
    """What was read: the file (or database table), the detected or forced format, records seen."""

    path: str
    format: str
    records: int


@dataclass
class TrafficSet:
    """``requests``, ``candidate_outcomes`` and ``rejects`` frames of one import (spec §2)."""

    requests: pl.DataFrame
    candidate_outcomes: pl.DataFrame
    rejects: pl.DataFrame
    source: TrafficSource

    @classmethod
    def empty(cls, source: TrafficSource) -> "TrafficSet":
        return cls(empty_frame(REQUESTS_SCHEMA), empty_frame(CANDIDATES_SCHEMA),
                   empty_frame(REJECTS_SCHEMA), source)

    def summary(self) -> dict[str, Any]:
        """Counts and coverage a user checks before trusting a simulation on this traffic."""
        req = self.requests
        n = req.height

        def share(column: str) -> float:
            return 0.0 if n == 0 else round(1 - req[column].null_count() / n, 4)

        ts = req["ts"].drop_nulls()
        return {
            "source": self.source.path,
            "format": self.source.format,
            "records": self.source.records,
            "requests": n,
            "rejected": self.rejects.height,
            "candidate_rows": self.candidate_outcomes.height,
            "candidate_models": sorted(self.candidate_outcomes["model"].unique().drop_nulls().to_list()),
            "models_served": dict(sorted(
                req["model_served"].drop_nulls().value_counts().iter_rows())),
            "first_ts": ts.min() if len(ts) else None,
            "last_ts": ts.max() if len(ts) else None,
            "tokens_estimated": int((req["tokens_source"] == "estimated").sum()),
            "cost_coverage": share("cost_usd"),
            "latency_coverage": share("latency_ms"),
            "quality_coverage": share("quality"),
            "reject_reasons": dict(sorted(self.rejects["field"].value_counts().iter_rows())),
        }
