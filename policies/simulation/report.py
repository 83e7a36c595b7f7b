"""Metrics of one simulation (traffic spec §4): per decision, per policy and against baselines.

Quality numbers always come with their coverage (share of requests with an estimate) and a 95 %
normal-approximation interval over the covered requests; nothing is imputed. Baselines route every
request to one model: the *strongest* (highest mean measured quality over requests where every
model is measured — falling back to the highest price when no quality exists) and the *default*.

A request the router answers itself (``answered_by``, see :mod:`.outcomes`) is served by
:data:`ROUTER_LABEL` rather than its decision's model in model shares, and is left out of quality
coverage: no model answered it, so there is no quality to estimate.

A request that named a configured model (route ``passthrough``, :mod:`.entrypoints`) reached no
decision, like a default-routed one, but the router never evaluated its decisions: reports count it
under :data:`PASSTHROUGH_LABEL`, never under :data:`DEFAULT_LABEL` (:func:`decision_label`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Collection

import polars as pl

from ..columns import outcome_column
from ..formatting import DEFAULT_LABEL, PASSTHROUGH_LABEL, ROUTER_LABEL
from ..model.recipes import PASSTHROUGH
from .entrypoints import ROUTE
from .outcomes import ANSWERED_BY

if TYPE_CHECKING:
    from .outcomes import Outcomes
    from .result import SimulationResult

Z95 = 1.959963984540054


def served_by() -> pl.Expr:
    """Who answered each request: its ``model``, or :data:`ROUTER_LABEL` when the router did."""
    return (pl.when(pl.col(ANSWERED_BY).is_not_null()).then(pl.lit(ROUTER_LABEL))
            .otherwise(pl.col("model")).alias("model"))


def decision_label(columns: Collection[str], decision: str = "decision") -> pl.Expr:
    """The decision a reader sees per row of a table with these ``columns``: the decision's name,
    :data:`PASSTHROUGH_LABEL` where the request named a configured model, :data:`DEFAULT_LABEL` where
    it reached routing and matched no decision. A labelled column comes back unchanged; without a
    ``route`` column (one profile forced) a null decision is the default route."""
    label = pl.col(decision)
    if ROUTE in columns:
        passed = label.is_null() & (pl.col(ROUTE) == PASSTHROUGH)
        label = pl.when(passed).then(pl.lit(PASSTHROUGH_LABEL)).otherwise(label)
    return label.fill_null(DEFAULT_LABEL).alias(decision)


def label_of(decision: str | None, route: str | None) -> str:
    """:func:`decision_label` of one request (an explanation's)."""
    row = pl.DataFrame({"decision": [decision], ROUTE: [route]}, schema={"decision": pl.String, ROUTE: pl.String})
    return row.select(decision_label(row.columns)).item()


def label_share(requests: pl.DataFrame, label: str) -> float:
    """Share of ``requests`` whose :func:`decision_label` is ``label`` (0 for no requests)."""
    if not requests.height:
        return 0.0
    return requests.select((decision_label(requests.columns) == label).mean()).item()


def _model_answered() -> pl.Expr:
    return pl.col(ANSWERED_BY).is_null()


def mean_ci(values: pl.Series) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) of the non-null values; None when there are none."""
    v = values.drop_nulls().cast(pl.Float64)
    if v.len() == 0:
        return None, None, None
    mean = float(v.mean())  # type: ignore[arg-type]
    if v.len() < 2:
        return mean, mean, mean
    half = Z95 * float(v.std()) / math.sqrt(v.len())  # type: ignore[arg-type]
    return mean, mean - half, mean + half


def _quality_aggs() -> list[pl.Expr]:
    """Mean quality, its interval, and coverage over the requests a model answered (none: null)."""
    q = pl.col("quality")
    n = q.count()
    answered = _model_answered().sum()
    half = Z95 * q.std() / n.cast(pl.Float64).sqrt()
    return [q.mean().alias("mean_quality"), (q.mean() - half).alias("quality_low"),
            (q.mean() + half).alias("quality_high"),
            pl.when(answered > 0).then(n / answered).alias("quality_coverage")]


def per_decision(result: "SimulationResult") -> pl.DataFrame:
    """Hits, hit rate, model share, cost, p50/p95 latency and quality per decision, then the default
    route, then (when any request named a model) the passthrough requests."""
    frame = result.requests.with_columns(decision_label(result.requests.columns))
    total = max(frame.height, 1)
    total_cost = frame["cost_usd"].sum() or 0.0
    stats = frame.group_by("decision").agg(
        pl.len().alias("hits"),
        pl.col("cost_usd").sum().alias("total_cost"),
        pl.col("cost_usd").mean().alias("mean_cost"),
        pl.col("latency_ms").quantile(0.5, "linear").alias("p50_latency_ms"),
        pl.col("latency_ms").quantile(0.95, "linear").alias("p95_latency_ms"),
        *_quality_aggs(),
        served_by().value_counts(sort=True).alias("models"),
        pl.col(ANSWERED_BY).is_not_null().sum().alias("answered_by_router"),
    )
    rows = result.decisions + [DEFAULT_LABEL] + [PASSTHROUGH_LABEL] * (PASSTHROUGH_LABEL in stats["decision"])
    order = pl.DataFrame({"decision": rows, "_order": list(range(len(rows)))})
    return (order.join(stats, on="decision", how="left")
            # a decision no request reached costs nothing and has shares of 0; its averages stay undefined
            .with_columns(pl.when(pl.col("hits").is_null()).then(0.0).otherwise(pl.col("quality_coverage"))
                          .alias("quality_coverage"))
            .with_columns(pl.col("hits", "answered_by_router").fill_null(0), pl.col("total_cost").fill_null(0.0))
            .with_columns((pl.col("hits") / total).alias("hit_rate"),
                          (pl.col("total_cost") / total_cost if total_cost  # unpriced traffic: shares undefined
                           else pl.when(pl.col("hits") == 0).then(0.0)).alias("cost_share"))
            .sort("_order").drop("_order"))


def strongest_model(outcomes: "Outcomes") -> str | None:
    """The model with the best mean measured quality on requests where all are measured (else priciest)."""
    columns = [outcome_column("quality", m) for m in outcomes.models]
    if not columns:
        return None
    common = outcomes.table.select(columns).drop_nulls()
    if common.height:
        means = common.mean().row(0)
        return outcomes.models[max(range(len(columns)), key=lambda i: (means[i], -i))]
    costs = outcomes.table.select(outcome_column("cost", m) for m in outcomes.models).sum().row(0)
    if any(c for c in costs):
        return outcomes.models[max(range(len(costs)), key=lambda i: (costs[i] or 0.0, -i))]
    return None


def baseline(outcomes: "Outcomes", model: str | None) -> dict[str, Any]:
    """Cost and quality of sending every request to ``model``."""
    if model is None or model not in outcomes.models:
        return {"model": model, "total_cost": None, "mean_quality": None, "quality_coverage": 0.0}
    table = outcomes.table
    quality = table[outcome_column("quality", model)]
    return {"model": model, "total_cost": table[outcome_column("cost", model)].sum(),
            "mean_quality": quality.mean(), "quality_coverage": 1 - quality.null_count() / max(table.height, 1)}


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def summary(result: "SimulationResult") -> dict[str, Any]:
    """Policy-level metrics plus everything that limits them (unavailable signals, approximations)."""
    req = result.requests
    n = req.height
    by_model = req.filter(_model_answered()).height
    served = req.select(served_by())["model"]
    answered = req[ANSWERED_BY].drop_nulls().value_counts(sort=True)
    total_cost = req["cost_usd"].sum() if n else 0.0
    quality, low, high = mean_ci(req["quality"])
    strongest = strongest_model(result.outcomes)
    strong = baseline(result.outcomes, strongest)
    default = baseline(result.outcomes, result.policy.default_model)
    hits = req["decision"].value_counts()
    hit_names = set(hits["decision"].drop_nulls().to_list())
    affected = {}
    for label in [*result.unavailable, *result.replayed]:
        kind, name = label.split(":", 1)
        affected[label] = [d.name for d in result.policy.decisions if d.rules is not None
                           and any(leaf.type == kind and leaf.name == name for _, leaf in d.rules.leaves())]
    return {
        "requests": n,
        "seconds": round(result.seconds, 4),
        "ranking_mode": result.mode,
        "total_cost_usd": total_cost,
        "cost_per_1k_requests_usd": (total_cost / n * 1000) if n else None,
        "cost_coverage": 1 - req["cost_usd"].null_count() / n if n else 0.0,
        "p50_latency_ms": req["latency_ms"].quantile(0.5, "linear") if n else None,
        "p95_latency_ms": req["latency_ms"].quantile(0.95, "linear") if n else None,
        "latency_coverage": 1 - req["latency_ms"].null_count() / n if n else 0.0,
        "mean_quality": quality, "quality_ci95": [low, high],
        # over the requests a model answered (the router's own answers have no model quality)
        "quality_coverage": (n - req["quality"].null_count()) / by_model if by_model else 0.0,
        "default_route_share": label_share(req, DEFAULT_LABEL),  # reached routing, matched no decision
        "passthrough_share": label_share(req, PASSTHROUGH_LABEL),  # named a model: no decision evaluated
        "decision_share": {str(d): c / n for d, c in hits.iter_rows() if d is not None},
        "model_share": {str(m): c / n for m, c in served.value_counts().iter_rows()},
        "answered_by_router_share": (n - by_model) / n if n else 0.0,
        "answered_by": {str(p): c / n for p, c in answered.iter_rows()},
        "strongest_model": strongest,
        "strongest_share": (served == strongest).sum() / n if n and strongest else None,
        "baseline_strongest": strong,
        "baseline_default": default,
        "savings_vs_strongest": None if _ratio(total_cost, strong["total_cost"]) is None
        else 1 - _ratio(total_cost, strong["total_cost"]),
        "savings_vs_default": None if _ratio(total_cost, default["total_cost"]) is None
        else 1 - _ratio(total_cost, default["total_cost"]),
        "quality_retained_vs_strongest": _ratio(quality, strong["mean_quality"]),
        "decisions_never_hit": [d for d in result.decisions if d not in hit_names],
        "unavailable_signals": {k: {"reason": v, "decisions": affected[k]} for k, v in result.unavailable.items()},
        # not computable here, so production's verdicts from the log stand in (its definition of the signal)
        "replayed_signals": {k: {"reason": v, "decisions": affected[k]} for k, v in result.replayed.items()},
        "approximated_selection": result.approximations,
        "quality_source": "direct method (logged outcomes, no propensity correction)",
    }
