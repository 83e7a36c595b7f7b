"""Threshold sweeps and the routing-quality curves built from them (traffic spec §4).

:func:`sweep` varies one field of one signal across a grid and simulates every variant in a
single Polars run over the cached raw scores (no model runs), routing each request as
:meth:`Simulator.simulate` does: through the recipe its model name selects, or past every recipe.
:func:`apgr` and :func:`aiq` turn the resulting (strong-call share, quality) and (cost, quality)
points into RouteLLM's APGR and RouterBench's AIQ.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import polars as pl

from ..model import Policy
from .engine import Simulator
from ..formatting import DEFAULT_LABEL
from .report import label_share, mean_ci, strongest_model


def with_signal_field(policy: Policy, leaf_type: str, name: str, field: str, value: Any, profile: str = "") -> Policy:
    """A copy of ``policy`` whose signal ``leaf_type:name`` has ``field`` set to ``value``."""
    variant = policy.copy_policy()
    routing = next(p.routing for p in variant.profiles() if p.name == profile)
    signal = routing.find_signal(leaf_type, name)
    if signal is None:
        raise KeyError(f"no {leaf_type} signal named {name!r}")
    setattr(signal, field, value)
    return variant


def sweep(simulator: Simulator, policy: Policy, leaf_type: str, name: str, values: Sequence[Any],
          field: str = "threshold", profile: str = "") -> pl.DataFrame:
    """One row per grid value: cost, quality, strongest-model share, default-route share and per-decision
    hits. ``profile`` names the routing profile whose signal varies; requests route as in ``simulate``."""
    variants = [with_signal_field(policy, leaf_type, name, field, v, profile) for v in values]
    results = simulator.simulate_many(variants)
    strongest = strongest_model(results[0].outcomes) if results else None
    rows = []
    for value, result in zip(values, results):
        req = result.requests
        quality, low, high = mean_ci(req["quality"])
        row = {"value": value, "total_cost_usd": req["cost_usd"].sum(), "mean_quality": quality,
               "quality_low": low, "quality_high": high,
               "strong_share": float((req["model"] == strongest).mean()) if strongest else None,
               "default_share": label_share(req, DEFAULT_LABEL)}
        counts = dict(req["decision"].value_counts().iter_rows())
        row.update({f"hits::{d}": counts.get(d, 0) for d in result.decisions})
        rows.append(row)
    return pl.DataFrame(rows)


def apgr(strong_share: Sequence[float], quality: Sequence[float], q_weak: float, q_strong: float) -> float:
    """RouteLLM APGR: area under PGR = (Q − Q_weak)/(Q_strong − Q_weak) over strong share in [0, 1].

    The curve is anchored at (0, 0) (all weak) and (1, 1) (all strong) and integrated by trapezoids.
    """
    if q_strong == q_weak:
        raise ValueError("strong and weak models have the same quality: PGR is undefined")
    points = sorted({(0.0, 0.0), (1.0, 1.0)} | {(float(s), (float(q) - q_weak) / (q_strong - q_weak))
                                                for s, q in zip(strong_share, quality)})
    xs, ys = zip(*points)
    return float(np.trapezoid(ys, xs))


def aiq(curves: dict[str, tuple[Sequence[float], Sequence[float]]]) -> dict[str, float]:
    """RouterBench AIQ per router from (costs, qualities): area under the non-decreasing convex hull,
    each hull extended flat to the largest cost among all routers, divided by that cost."""
    max_cost = max(max(c) for c, _ in curves.values())
    out = {}
    for name, (costs, qualities) in curves.items():
        hull = _upper_hull(sorted(zip(map(float, costs), map(float, qualities))))
        xs = [x for x, _ in hull] + ([max_cost] if hull[-1][0] < max_cost else [])
        ys = [y for _, y in hull] + ([hull[-1][1]] if hull[-1][0] < max_cost else [])
        out[name] = float(np.trapezoid(ys, xs) / max_cost) if max_cost else 0.0
    return out


def _upper_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Non-decreasing upper convex hull of (cost, quality) points sorted by cost."""
    hull: list[tuple[float, float]] = []
    for p in points:
        if hull and p[1] <= hull[-1][1]:
            continue  # costs more, not better: never on a non-decreasing hull
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    return hull
