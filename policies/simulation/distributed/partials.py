"""A cluster run's report: per-block partial aggregates, merged on the driver without the requests.

Each block's :class:`.result.SimulationResult` becomes a few small grouped tables (:func:`partial`);
the driver adds them up (:func:`merge`) and derives the same ``summary()`` keys and
``per_decision()`` rows :mod:`..report` computes from a whole requests table. What is exact:

* **counts** (hits, shares, coverage, model and route shares, decisions never hit): exact;
* **sums and means** (cost, quality, baselines, the quality interval from sum, sum of squares and
  count): exact up to the order of floating-point additions (a relative 1e-12, not a decision);
* **latency p50/p95** (overall and per decision): exact, by a second pass. Each block counts its
  latencies in log-spaced buckets (:func:`bucket`); the merged counts say which bucket holds each
  rank polars' ``linear`` quantile reads, and :func:`exact_quantiles` reads back only those
  buckets' values from the per-request output files. Memory is the bucket's rows, not the traffic.

Decision order, labels and the quality interval follow :mod:`..report` (its ``decision_label``,
``served_by``, ``Z95``, ``strongest_model`` rule); what it computes over rows is computed here over
sums, so the two are tested against each other (``tests/ray``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import polars as pl

from ...columns import outcome_column
from ...formatting import DEFAULT_LABEL, PASSTHROUGH_LABEL, ROUTER_LABEL
from ...model.recipes import UNRESOLVED
from ..entrypoints import RECIPE, REQUESTED, ROUTE
from ..outcomes import ANSWERED_BY
from ..report import Z95, decision_label, served_by
from ..result import SimulationResult

BUCKETS_PER_E = 64  # latency buckets per factor e (1.6 % wide): the second pass reads ~1.6 % of a rank's neighbours
ZERO_BUCKET = -(2 ** 31)  # latency 0 (router answers): its own bucket, every value in it is 0
QUANTILES = (0.5, 0.95)
LABEL, NAMED = "decision", "named"


def bucket(latency: pl.Expr) -> pl.Expr:
    """Log-spaced bucket of a latency (the same expression in both passes, so the same bucket)."""
    return (pl.when(latency > 0).then((latency.log() * BUCKETS_PER_E).floor().cast(pl.Int64))
            .otherwise(pl.lit(ZERO_BUCKET, pl.Int64)).alias("bucket"))


@dataclass
class Partial:
    """Grouped sums of one block (or of several, merged); tables named as :func:`partial` builds them."""

    tables: dict[str, pl.DataFrame]
    requests: int
    meta: dict[str, Any] = field(default_factory=dict)  # the same for every block of a run


_KEYS = {"groups": [LABEL, NAMED], "models": [LABEL, "model"], "values": ["field", "value"],
         "latency": [LABEL, "bucket"], "baselines": ["model"]}


def partial(result: SimulationResult) -> Partial:
    """The grouped sums of one block's result."""
    req = result.requests.with_columns(decision_label(result.requests.columns).alias(LABEL),
                                       pl.col("decision").is_not_null().alias(NAMED))
    q, cost, lat = pl.col("quality"), pl.col("cost_usd"), pl.col("latency_ms")
    groups = req.group_by(LABEL, NAMED).agg(
        pl.len().alias("hits"), cost.sum().alias("cost_sum"), cost.count().alias("cost_n"),
        lat.count().alias("latency_n"), q.sum().alias("q_sum"), (q * q).sum().alias("q_sq"),
        q.count().alias("q_n"), pl.col(ANSWERED_BY).is_null().sum().alias("by_model"),
        pl.col(ANSWERED_BY).is_not_null().sum().alias("by_router"))
    models = req.select(LABEL, served_by()).group_by(LABEL, "model").agg(pl.len().alias("count"))
    values = [req.select(pl.lit(ANSWERED_BY).alias("field"), pl.col(ANSWERED_BY).alias("value")).drop_nulls()]
    if ROUTE in req.columns:
        values += [req.select(pl.lit(ROUTE).alias("field"), pl.col(ROUTE).alias("value")),
                   req.select(pl.lit(RECIPE).alias("field"), pl.col(RECIPE).alias("value")).drop_nulls(),
                   req.filter(pl.col(ROUTE) == UNRESOLVED).select(
                       pl.lit(UNRESOLVED).alias("field"), pl.col(REQUESTED).fill_null("(none)").alias("value"))]
    counted = pl.concat(values).group_by("field", "value").agg(pl.len().alias("count"))
    latency = req.filter(lat.is_not_null()).group_by(LABEL, bucket(lat)).agg(pl.len().alias("count"))
    table, models_priced = result.outcomes.table, result.outcomes.models
    quality = [outcome_column("quality", m) for m in models_priced]
    common = table.select(quality).drop_nulls()
    baselines = pl.DataFrame({
        "model": models_priced,
        "cost_sum": [table[outcome_column("cost", m)].sum() for m in models_priced],
        "cost_n": [table[outcome_column("cost", m)].count() for m in models_priced],
        "q_sum": [table[c].sum() for c in quality], "q_n": [table[c].count() for c in quality],
        "common_q_sum": [common[c].sum() for c in quality], "common_n": [common.height] * len(quality),
    }, schema={"model": pl.String, "cost_sum": pl.Float64, "cost_n": pl.Int64, "q_sum": pl.Float64,
               "q_n": pl.Int64, "common_q_sum": pl.Float64, "common_n": pl.Int64})
    meta = {"decisions": result.decisions, "models": list(models_priced), "unavailable": result.unavailable,
            "replayed": result.replayed, "approximations": result.approximations, "mode": result.mode,
            "default_model": result.policy.default_model,
            "affected": {label: _affected(result, label) for label in [*result.unavailable, *result.replayed]}}
    return Partial({"groups": groups, "models": models, "values": counted, "latency": latency,
                    "baselines": baselines}, req.height, meta)


def _affected(result: SimulationResult, label: str) -> list[str]:
    kind, name = label.split(":", 1)
    return [d.name for d in result.policy.decisions if d.rules is not None
            and any(leaf.type == kind and leaf.name == name for _, leaf in d.rules.leaves())]


def merge(parts: Sequence[Partial]) -> Partial:
    """Every block's sums added up (the meta of the first block: it is the same in all)."""
    tables = {}
    for name, keys in _KEYS.items():
        frames = [p.tables[name] for p in parts if p.tables[name].height]
        if not frames:
            tables[name] = parts[0].tables[name].clear()
            continue
        stacked = pl.concat(frames, how="vertical_relaxed")
        sums = [pl.col(c).sum() for c in stacked.columns if c not in keys and c != "common_n"]
        sums += [pl.col("common_n").sum()] if "common_n" in stacked.columns else []
        tables[name] = stacked.group_by(keys, maintain_order=True).agg(sums)
    return Partial(tables, sum(p.requests for p in parts), parts[0].meta)


def quantile_ranks(n: int, q: float) -> tuple[int, int, float]:
    """(lower rank, upper rank, weight of the upper) of polars' ``linear`` quantile over ``n`` values."""
    pos = q * (n - 1)
    low = math.floor(pos)
    return low, math.ceil(pos), pos - low


def exact_quantiles(merged: Partial, outputs: list[str]) -> dict[tuple[str | None, float], float | None]:
    """p50/p95 latency per decision label and overall (label None), exactly: the ranks' buckets from
    the merged counts, then the values of those buckets only, read back from ``outputs`` (Parquet)."""
    hist = merged.tables["latency"]
    wanted: dict[tuple[str | None, float], list[tuple[int, int]]] = {}  # (label, q) -> [(bucket, rank in bucket)]
    weights: dict[tuple[str | None, float], float] = {}
    reads: set[tuple[str | None, int]] = set()
    labels: list[str | None] = [None, *hist[LABEL].unique().to_list()]
    for label in labels:
        part = hist if label is None else hist.filter(pl.col(LABEL) == label)
        counts = part.group_by("bucket").agg(pl.col("count").sum()).sort("bucket")
        n = int(counts["count"].sum()) if counts.height else 0
        for q in QUANTILES:
            if n == 0:
                wanted[label, q] = []
                continue
            low, high, weight = quantile_ranks(n, q)
            weights[label, q] = weight
            wanted[label, q] = [_locate(counts, rank) for rank in (low, high)]
            reads.update((label, b) for b, _ in wanted[label, q] if b != ZERO_BUCKET)
    values = _bucket_values(reads, outputs)
    out: dict[tuple[str | None, float], float | None] = {}
    for key, located in wanted.items():
        if not located:
            out[key] = None
            continue
        (b_low, r_low), (b_high, r_high) = located
        v_low = 0.0 if b_low == ZERO_BUCKET else values[key[0], b_low][r_low]
        v_high = 0.0 if b_high == ZERO_BUCKET else values[key[0], b_high][r_high]
        out[key] = v_low + weights[key] * (v_high - v_low)
    return out


def _locate(counts: pl.DataFrame, rank: int) -> tuple[int, int]:
    """(bucket, rank inside it) of the ``rank``-th smallest value (0-based)."""
    seen = 0
    for b, c in counts.iter_rows():
        if rank < seen + c:
            return int(b), rank - seen
        seen += c
    raise AssertionError("rank beyond the counted values")


def _bucket_values(reads: set[tuple[str | None, int]], outputs: list[str]) -> dict[tuple[str | None, int], list[float]]:
    """Sorted latencies of each (label, bucket) in ``reads`` (label None: every label)."""
    if not reads:
        return {}
    scan = pl.scan_parquet(outputs)
    columns = scan.collect_schema().names()
    lat = pl.col("latency_ms")
    rows = (scan.filter(lat.is_not_null())
            .select(decision_label(columns).alias(LABEL), bucket(lat), lat)
            .filter(pl.col("bucket").is_in(sorted({b for _, b in reads})))
            .collect())
    out = {}
    for label, b in reads:
        part = rows.filter(pl.col("bucket") == b)
        if label is not None:
            part = part.filter(pl.col(LABEL) == label)
        out[label, b] = part["latency_ms"].sort().to_list()
    return out


def _mean_ci(total: float, squares: float, n: int) -> tuple[float | None, float | None, float | None]:
    """:func:`..report.mean_ci` from sums: (mean, low, high), None without values."""
    if n == 0:
        return None, None, None
    mean = total / n
    if n < 2:
        return mean, mean, mean
    half = Z95 * math.sqrt(max(squares - total * total / n, 0.0) / (n - 1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def _share(count: int, n: int) -> float:
    return count / n if n else 0.0


def summary(merged: Partial, quantiles: dict[tuple[str | None, float], float | None], seconds: float) -> dict[str, Any]:
    """The keys of ``SimulationResult.summary()`` from the merged sums."""
    n, meta, t = merged.requests, merged.meta, merged.tables
    groups = t["groups"]
    total = lambda c: groups[c].sum() if groups.height else 0  # noqa: E731
    total_cost = float(total("cost_sum") or 0.0)
    by_model = int(total("by_model"))
    quality, low, high = _mean_ci(float(total("q_sum") or 0.0), float(total("q_sq") or 0.0), int(total("q_n")))
    label_counts = dict(groups.group_by(LABEL).agg(pl.col("hits").sum()).iter_rows())
    named = {str(d): int(c) for d, c in groups.filter(pl.col(NAMED)).select(LABEL, "hits").iter_rows()}
    served = dict(t["models"].group_by("model").agg(pl.col("count").sum()).iter_rows())
    values = {f: dict(t["values"].filter(pl.col("field") == f).select("value", "count").iter_rows())
              for f in (ANSWERED_BY, ROUTE, RECIPE, UNRESOLVED)}
    strongest = _strongest(t["baselines"], meta["models"])
    strong, default = _baseline(t["baselines"], strongest, n), _baseline(t["baselines"], meta["default_model"], n)
    ratio = lambda a, b: None if a is None or not b else a / b  # noqa: E731
    saving = lambda b: None if ratio(total_cost, b["total_cost"]) is None else 1 - ratio(total_cost, b["total_cost"])  # noqa: E731
    out = {
        "requests": n, "seconds": round(seconds, 4), "ranking_mode": meta["mode"],
        "total_cost_usd": total_cost, "cost_per_1k_requests_usd": (total_cost / n * 1000) if n else None,
        "cost_coverage": _share(int(total("cost_n")), n) if n else 0.0,
        "p50_latency_ms": quantiles.get((None, 0.5)), "p95_latency_ms": quantiles.get((None, 0.95)),
        "latency_coverage": _share(int(total("latency_n")), n) if n else 0.0,
        "mean_quality": quality, "quality_ci95": [low, high],
        "quality_coverage": int(total("q_n")) / by_model if by_model else 0.0,
        "default_route_share": _share(label_counts.get(DEFAULT_LABEL, 0) - named.get(DEFAULT_LABEL, 0), n),
        "passthrough_share": _share(label_counts.get(PASSTHROUGH_LABEL, 0) - named.get(PASSTHROUGH_LABEL, 0), n),
        "decision_share": {d: c / n for d, c in named.items()},
        "model_share": {str(m): c / n for m, c in served.items()},
        "answered_by_router_share": (n - by_model) / n if n else 0.0,
        "answered_by": {str(p): c / n for p, c in values[ANSWERED_BY].items()},
        "strongest_model": strongest,
        "strongest_share": served.get(strongest, 0) / n if n and strongest else None,
        "baseline_strongest": strong, "baseline_default": default,
        "savings_vs_strongest": saving(strong), "savings_vs_default": saving(default),
        "quality_retained_vs_strongest": ratio(quality, strong["mean_quality"]),
        "decisions_never_hit": [d for d in meta["decisions"] if d not in named],
        "unavailable_signals": {k: {"reason": v, "decisions": meta["affected"][k]} for k, v in meta["unavailable"].items()},
        "replayed_signals": {k: {"reason": v, "decisions": meta["affected"][k]} for k, v in meta["replayed"].items()},
        "approximated_selection": meta["approximations"],
        "quality_source": "direct method (logged outcomes, no propensity correction)",
    }
    if values[ROUTE]:  # the keys of entrypoints.route_summary
        ordered = lambda counts: dict(sorted(counts.items(), key=lambda kc: (-kc[1], kc[0])))  # noqa: E731
        out.update(route_share={k: c / n for k, c in ordered(values[ROUTE]).items()},
                   recipe_share={k: c / n for k, c in ordered(values[RECIPE]).items()},
                   unresolved_models=ordered(values[UNRESOLVED]))
    return out


def _strongest(baselines: pl.DataFrame, models: list[str]) -> str | None:
    """:func:`..report.strongest_model` from sums: best mean quality where every model is measured,
    else the priciest; ties to the earlier model."""
    rows = {r["model"]: r for r in baselines.iter_rows(named=True)}
    if not models:
        return None
    if rows and rows[models[0]]["common_n"]:
        means = [rows[m]["common_q_sum"] / rows[m]["common_n"] for m in models]
        return models[max(range(len(models)), key=lambda i: (means[i], -i))]
    costs = [rows[m]["cost_sum"] or 0.0 for m in models] if rows else []
    if any(costs):
        return models[max(range(len(costs)), key=lambda i: (costs[i], -i))]
    return None


def _baseline(baselines: pl.DataFrame, model: str | None, n: int) -> dict[str, Any]:
    """:func:`..report.baseline` from sums."""
    row = next((r for r in baselines.iter_rows(named=True) if r["model"] == model), None)
    if row is None:
        return {"model": model, "total_cost": None, "mean_quality": None, "quality_coverage": 0.0}
    return {"model": model, "total_cost": row["cost_sum"] if row["cost_n"] else 0.0,
            "mean_quality": row["q_sum"] / row["q_n"] if row["q_n"] else None,
            "quality_coverage": 1 - (n - row["q_n"]) / max(n, 1)}


def per_decision(merged: Partial, quantiles: dict[tuple[str | None, float], float | None]) -> pl.DataFrame:
    """The rows and columns of ``SimulationResult.per_decision()`` from the merged sums."""
    t, n = merged.tables, merged.requests
    groups = t["groups"].group_by(LABEL).agg(pl.exclude(NAMED).sum())
    total_cost = float(groups["cost_sum"].sum() or 0.0) if groups.height else 0.0
    models = (t["models"].sort(["count", "model"], descending=[True, False])
              .group_by(LABEL, maintain_order=True).agg(pl.struct("model", "count").alias("models")))
    present = set(groups[LABEL].to_list())
    rows = [*merged.meta["decisions"], DEFAULT_LABEL] + [PASSTHROUGH_LABEL] * (PASSTHROUGH_LABEL in present)
    records = []
    for label in rows:
        g = next((r for r in groups.iter_rows(named=True) if r[LABEL] == label), None)
        if g is None:
            records.append({"decision": label, "hits": 0, "total_cost": 0.0, "mean_cost": None,
                            "p50_latency_ms": None, "p95_latency_ms": None, "mean_quality": None,
                            "quality_low": None, "quality_high": None, "quality_coverage": 0.0,
                            "answered_by_router": 0, "hit_rate": 0.0,
                            "cost_share": 0.0})
            continue
        mean, low, high = _mean_ci(g["q_sum"] or 0.0, g["q_sq"] or 0.0, g["q_n"])
        if g["q_n"] < 2:  # report's per-decision interval comes from polars' std: none below two values
            low = high = None
        records.append({
            "decision": label, "hits": g["hits"], "total_cost": g["cost_sum"] or 0.0,
            "mean_cost": g["cost_sum"] / g["cost_n"] if g["cost_n"] else None,
            "p50_latency_ms": quantiles.get((label, 0.5)), "p95_latency_ms": quantiles.get((label, 0.95)),
            "mean_quality": mean, "quality_low": low, "quality_high": high,
            "quality_coverage": g["q_n"] / g["by_model"] if g["by_model"] else None,
            "answered_by_router": g["by_router"], "hit_rate": g["hits"] / max(n, 1),
            "cost_share": (g["cost_sum"] or 0.0) / total_cost if total_cost else None})
    frame = pl.DataFrame(records, schema={
        "decision": pl.String, "hits": pl.UInt32, "total_cost": pl.Float64, "mean_cost": pl.Float64,
        "p50_latency_ms": pl.Float64, "p95_latency_ms": pl.Float64, "mean_quality": pl.Float64,
        "quality_low": pl.Float64, "quality_high": pl.Float64, "quality_coverage": pl.Float64,
        "answered_by_router": pl.UInt32, "hit_rate": pl.Float64, "cost_share": pl.Float64})
    return (frame.join(models, left_on="decision", right_on=LABEL, how="left", maintain_order="left")
            .select("decision", "hits", "total_cost", "mean_cost", "p50_latency_ms", "p95_latency_ms",
                    "mean_quality", "quality_low", "quality_high", "quality_coverage", "models",
                    "answered_by_router", "hit_rate", "cost_share"))
