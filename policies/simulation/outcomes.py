"""Counterfactual outcomes per (request, model): cost, latency and quality (traffic spec §3).

Computed once per traffic table and pricing as wide ``cost::<model>``, ``latency::<model>``,
``quality::<model>`` columns (:func:`policies.columns.outcome_column`), so every re-simulation
only picks, per request, the columns of the model it routed to.

* **Cost** uses :meth:`Pricing.request_cost` over prompt, cached and completion tokens. Completion
  tokens are the candidate row's when the traffic has one for that model, else the served
  completion tokens × the model's length ratio learned from ``candidate_outcomes`` (median of
  candidate ÷ served tokens; 1.0 without data). ``tokenizer_ratio`` rescales prompt tokens per
  model. Models without pricing cost null (reported as cost coverage).
* **Latency** comes from a per-model profile ``latency = a + b·prompt_tokens + c·completion_tokens``
  (TTFT(prompt) + out × TPOT) fitted by least squares on every row the model served (served rows
  and per-candidate measurements), plus one residual of that fit drawn per request from a
  deterministic hash of (request, model, seed), so percentiles come from sampled residuals and
  never from adding p95s. Models with fewer than 3 rows have no latency (coverage reported).
* **Quality**: the measured per-candidate value (``candidate_outcomes``, or the served row's
  ``quality`` for the served model); domain ``model_scores`` fill gaps at simulation time
  (see :mod:`.engine`); anything else stays null and shows up as coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..columns import outcome_column
from ..model import Policy

MIN_ROWS = 3


@dataclass(frozen=True)
class LatencyProfile:
    """``latency_ms ≈ intercept + per_prompt_token·p + per_output_token·o`` plus sampled residuals."""

    model: str
    intercept: float
    per_prompt_token: float
    per_output_token: float
    residuals: np.ndarray = field(repr=False)

    @property
    def rows(self) -> int:
        return len(self.residuals)


def _served_rows(requests: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """(request_id, model, prompt_tokens, completion_tokens, latency_ms) for every measured serve."""
    tokens = requests.select("request_id", "prompt_tokens")
    served = requests.select("request_id", pl.col("model_served").alias("model"), "prompt_tokens",
                             "completion_tokens", "latency_ms")
    measured = (candidates.select("request_id", "model", "completion_tokens", "latency_ms")
                .join(tokens, on="request_id", how="inner")
                .select(served.columns))
    return (pl.concat([measured, served.cast(measured.schema)])
            .drop_nulls()
            .unique(subset=["request_id", "model"], keep="first", maintain_order=True))


def fit_latency(requests: pl.DataFrame, candidates: pl.DataFrame) -> dict[str, LatencyProfile]:
    """One latency profile per model with at least :data:`MIN_ROWS` measured rows."""
    rows = _served_rows(requests, candidates)
    out: dict[str, LatencyProfile] = {}
    for (model,), part in rows.group_by("model", maintain_order=True):
        if part.height < MIN_ROWS:
            continue
        x = np.column_stack([np.ones(part.height), part["prompt_tokens"].to_numpy().astype(float),
                             part["completion_tokens"].to_numpy().astype(float)])
        y = part["latency_ms"].to_numpy().astype(float)
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        if coef[1] < 0 or coef[2] < 0:  # a negative rate is noise: refit without that term
            keep = [0] + [j for j in (1, 2) if coef[j] >= 0]
            sub, *_ = np.linalg.lstsq(x[:, keep], y, rcond=None)
            coef = np.zeros(3)
            coef[keep] = sub
        out[str(model)] = LatencyProfile(str(model), float(coef[0]), float(coef[1]), float(coef[2]),
                                         y - x @ coef)
    return out


def length_ratios(requests: pl.DataFrame, candidates: pl.DataFrame) -> dict[str, float]:
    """Median candidate ÷ served completion tokens per model (how much longer each model answers)."""
    joined = (candidates.select("request_id", "model", "completion_tokens")
              .join(requests.select("request_id", pl.col("completion_tokens").alias("served")), on="request_id")
              .filter(pl.col("served") > 0, pl.col("completion_tokens").is_not_null()))
    ratios = joined.group_by("model").agg((pl.col("completion_tokens") / pl.col("served")).median().alias("r"))
    return {str(m): float(r) for m, r in ratios.iter_rows()}


@dataclass
class Outcomes:
    """Per-request counterfactual outcomes of every model, plus what they were estimated from."""

    table: pl.DataFrame  # request_id + cost::m, latency::m, quality::m, tokens::m
    models: list[str]
    profiles: dict[str, LatencyProfile]
    ratios: dict[str, float]
    priced: list[str]


def compute_outcomes(requests: pl.DataFrame, candidates: pl.DataFrame, policy: Policy, *,
                     seed: int = 0, tokenizer_ratio: dict[str, float] | None = None) -> Outcomes:
    """The outcome table for every provider model of ``policy`` over ``requests`` (prepared frame)."""
    models = policy.model_names()
    profiles = fit_latency(requests, candidates)
    ratios = length_ratios(requests, candidates)
    wide = (candidates.filter(pl.col("model").is_in(models))
            .unique(subset=["request_id", "model"], keep="first")
            .pivot(on="model", index="request_id", values=["quality", "completion_tokens"]))
    frame = requests.select("request_id", "prompt_tokens", "cached_prompt_tokens", "completion_tokens",
                            "model_served", "quality").join(wide, on="request_id", how="left")
    exprs: list[pl.Expr] = []
    priced = []
    for m in models:
        cand_tokens, cand_quality = f"completion_tokens_{m}", f"quality_{m}"
        tokens = pl.coalesce(
            pl.col(cand_tokens).cast(pl.Float64) if cand_tokens in frame.columns else pl.lit(None, pl.Float64),
            pl.col("completion_tokens").cast(pl.Float64) * ratios.get(m, 1.0))
        exprs.append(tokens.alias(outcome_column("tokens", m)))
        quality = pl.col(cand_quality) if cand_quality in frame.columns else pl.lit(None, pl.Float64)
        served_quality = pl.when(pl.col("model_served") == m).then(pl.col("quality"))
        exprs.append(pl.coalesce(quality, served_quality).cast(pl.Float64).alias(outcome_column("quality", m)))
        prompt = pl.col("prompt_tokens").cast(pl.Float64) * (tokenizer_ratio or {}).get(m, 1.0)
        pricing = policy.provider_model(m).pricing if policy.provider_model(m) else None
        if pricing is not None:
            priced.append(m)
            cost = pricing.request_cost(prompt, tokens, pl.col("cached_prompt_tokens").fill_null(0).cast(pl.Float64))
        else:
            cost = pl.lit(None, pl.Float64)
        exprs.append(cost.alias(outcome_column("cost", m)))
        profile = profiles.get(m)
        if profile is None:
            exprs.append(pl.lit(None, pl.Float64).alias(outcome_column("latency", m)))
            continue
        residuals = pl.Series(profile.residuals)
        draw = (pl.col("request_id") + "\x00" + m).hash(seed) % profile.rows
        sampled = pl.lit(residuals).gather(draw)
        latency = profile.intercept + profile.per_prompt_token * prompt + profile.per_output_token * tokens
        exprs.append(pl.max_horizontal(latency + sampled, pl.lit(0.0)).alias(outcome_column("latency", m)))
    table = frame.select(pl.col("request_id"), *exprs)
    return Outcomes(table, models, profiles, ratios, priced)
