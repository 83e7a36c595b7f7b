"""Two policies on the same traffic: decision transitions, changed requests, paired metric deltas.

Both results must come from the same traffic (joined on ``request_id``). Intervals are paired
bootstrap percentiles: the same resampled requests feed both policies, so per-request
correlation (same prompt, same tokens) does not widen them. Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .report import decision_label
from .result import SimulationResult

METRICS = ("cost_usd", "quality", "latency_ms")


@dataclass
class Comparison:
    """``pairs`` has one row per request with both policies' decision (as :func:`.report.decision_label`
    reads it), model and outcomes."""

    pairs: pl.DataFrame
    deltas: dict[str, dict[str, Any]]

    @property
    def changed(self) -> pl.DataFrame:
        """Requests whose decision or model differs between the two policies."""
        return self.pairs.filter((pl.col("decision_a") != pl.col("decision_b"))
                                 | (pl.col("model_a") != pl.col("model_b")))

    def transitions(self) -> pl.DataFrame:
        """Decision A → decision B with counts and per-cell Δcost, Δquality and Δp95 latency."""
        return (self.pairs.group_by("decision_a", "decision_b")
                .agg(pl.len().alias("requests"),
                     (pl.col("cost_usd_b") - pl.col("cost_usd_a")).sum().alias("delta_cost_usd"),
                     (pl.col("quality_b") - pl.col("quality_a")).mean().alias("delta_mean_quality"),
                     (pl.col("latency_ms_b").quantile(0.95) - pl.col("latency_ms_a").quantile(0.95))
                     .alias("delta_p95_latency_ms"))
                .sort("requests", "decision_a", "decision_b", descending=[True, False, False]))

    def summary(self) -> dict[str, Any]:
        return {"requests": self.pairs.height, "changed": self.changed.height, "deltas": self.deltas}


def _statistic(name: str, values: np.ndarray) -> float:
    if name == "latency_ms":
        return float(np.nanpercentile(values, 95)) if np.isfinite(values).any() else float("nan")
    return float(np.nansum(values)) if name == "cost_usd" else float(np.nanmean(values))


def compare(a: SimulationResult, b: SimulationResult, *, n_boot: int = 1000, seed: int = 0) -> Comparison:
    """Pair ``a`` and ``b`` request by request; totals (cost), means (quality), p95 (latency) with CIs."""
    cols = ["request_id", "decision", "model", *METRICS]
    a_rows, b_rows = (r.requests.with_columns(decision_label(r.requests.columns)).select(cols) for r in (a, b))
    pairs = (a_rows.join(b_rows, on="request_id", how="inner", suffix="_b")
             .rename({c: f"{c}_a" for c in cols[1:]}))
    rng = np.random.default_rng(seed)
    n = pairs.height
    draws = rng.integers(0, n, size=(n_boot, n)) if n else np.zeros((0, 0), dtype=int)
    deltas: dict[str, dict[str, Any]] = {}
    for metric in METRICS:
        va = pairs[f"{metric}_a"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        vb = pairs[f"{metric}_b"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        point = _statistic(metric, vb) - _statistic(metric, va) if n else None
        boots = [(_statistic(metric, vb[i]) - _statistic(metric, va[i])) for i in draws]
        low, high = (np.nanpercentile(boots, [2.5, 97.5]) if len(boots) else (None, None))
        deltas[metric] = {"a": _statistic(metric, va) if n else None, "b": _statistic(metric, vb) if n else None,
                          "delta": point, "ci95": [None if low is None else float(low),
                                                   None if high is None else float(high)],
                          "statistic": {"cost_usd": "total", "quality": "mean", "latency_ms": "p95"}[metric]}
    return Comparison(pairs, deltas)
