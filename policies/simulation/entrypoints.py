"""Each request through the routing profile its model name selects, or past every profile.

Which name selects what is :mod:`policies.model.recipes` (the router's rules, cited there). Here a
simulation runs one :meth:`Simulator.plan` per profile that requests select (the default profile
always), each collected over its own requests only, and the passthrough requests, which keep the
model they named: no signal, no decision, that model's outcomes (null when the policy does not
price it). The rows come back in traffic order with two columns more: :data:`ROUTE` (how the
request reached its profile: auto alias, entrypoint, looper alias, passthrough, unresolved) and
:data:`RECIPE` (the router's recipe name; null for passthrough).

Rows of one profile carry that profile's ``match::`` and leaf columns; other profiles' columns are
null there (decision names are global across recipes, so match columns never collide).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import polars as pl

from ..model import Policy
from ..model.recipes import UNRESOLVED, default_profile
from .extract import Extraction
from .result import SimulationResult

if TYPE_CHECKING:
    from .engine import Plan, Simulator

ROUTE, RECIPE = "route", "recipe"  # result columns
REQUESTED = "model_requested"  # traffic column (policies.traffic.schema), kept in the result
ROUTING_COLUMNS = (REQUESTED, ROUTE, RECIPE)
_ROW, _SERVED = "_row", "_served"


def requested_models(requests: pl.DataFrame) -> pl.Series:
    """The ``model`` each request asked for, trimmed (null when the log does not say)."""
    if REQUESTED not in requests.columns:
        return pl.Series(REQUESTED, [None] * requests.height, dtype=pl.String)
    return requests[REQUESTED].cast(pl.String, strict=False).str.strip_chars()


Key = tuple[str | None, str | None]  # (profile, looper algorithm) of one plan; (None, None) = passthrough


def resolve(policy: Policy, requested: pl.Series) -> tuple[list[Key], pl.DataFrame]:
    """The plans the requests need (the default profile's first, always) and per request its
    :data:`ROUTE`, :data:`RECIPE`, passthrough model (``_served``) and index into those plans (``_plan``)."""
    table = policy.entrypoints_table()
    names = requested.fill_null("")
    by_name = {name: table.resolve(name) for name in names.unique().to_list()}
    keys: list[Key] = [(default_profile(policy), None)]
    keys += sorted({(r.profile, r.algorithm) for r in by_name.values()} - set(keys),
                   key=lambda k: (k[0] is None, k[0] or "", k[1] or ""))
    position = {key: i for i, key in enumerate(keys)}
    old = list(by_name)
    routes = list(by_name.values())
    return keys, pl.DataFrame([
        names.replace_strict(old, [r.via for r in routes], return_dtype=pl.String).alias(ROUTE),
        names.replace_strict(old, [r.recipe for r in routes], return_dtype=pl.String).alias(RECIPE),
        names.replace_strict(old, [r.model for r in routes], return_dtype=pl.String).alias(_SERVED),
        names.replace_strict(old, [position[(r.profile, r.algorithm)] for r in routes],
                             return_dtype=pl.UInt32).alias("_plan")])


def scoped(policy: Policy, algorithm: str | None, profile: str) -> Policy:
    """``policy`` as a looper alias evaluates it: only the decisions of the looper's algorithm."""
    if algorithm is None:
        return policy
    variant = policy.copy_policy()
    routing = next(p.routing for p in variant.profiles() if p.name == profile)
    routing.decisions = [d for d in routing.all_decisions() if d.algorithm and d.algorithm.type == algorithm]
    return variant


def _rows(query: pl.LazyFrame, routes: pl.DataFrame, requested: pl.Series, plan: int) -> pl.LazyFrame:
    """The rows of ``query`` that plan number ``plan`` routes, with their route, recipe and model asked for."""
    return (query.with_row_index(_ROW).with_columns(pl.lit(requested).alias(REQUESTED), *map(pl.lit, routes))
            .filter(pl.col("_plan") == plan).drop("_plan", _SERVED))


def _passthrough(sim: "Simulator", policy: Policy, served: pl.Series) -> pl.LazyFrame:
    """Requests that named a configured model: that model's outcomes, no decision."""
    outcomes = sim.outcomes(policy)
    measured = sim._pick(outcomes, "quality")
    return (pl.concat([sim.frame.select("request_id"), outcomes.table.drop("request_id")], how="horizontal").lazy()
            .with_columns(pl.lit(None, pl.String).alias("decision"), pl.lit(served).alias("model"))
            .select("request_id", "decision", "model", sim._pick(outcomes, "cost").alias("cost_usd"),
                    sim._pick(outcomes, "latency").alias("latency_ms"), measured.alias("quality"),
                    pl.when(measured.is_not_null()).then(pl.lit("measured")).alias("quality_source")))


def _merged(plans: list["Plan"]) -> Extraction:
    """One extraction for the summary: every used profile's leaves, raw columns and unavailable signals."""
    raw = plans[0].extraction.raw
    leaves: dict[Any, Any] = {}
    unavailable: dict[str, str] = {}
    replayed: dict[str, str] = {}
    for plan in plans:
        extra = [c for c in plan.extraction.raw.columns if c not in raw.columns]
        raw = raw.hstack(plan.extraction.raw.select(extra)) if extra else raw
        leaves.update({k: v for k, v in plan.extraction.leaves.items() if k not in leaves})
        unavailable.update({k: v for k, v in plan.extraction.unavailable.items() if k not in unavailable})
        replayed.update({k: v for k, v in plan.extraction.replayed.items() if k not in replayed})
    return Extraction(raw, leaves, unavailable, replayed=replayed)


def simulate_routed(sim: "Simulator", policies: list[Policy]) -> list[SimulationResult]:
    """Every policy over the simulator's traffic, each request through the profile its model selects."""
    started = time.perf_counter()
    jobs = []
    for policy in policies:
        keys, routes = resolve(policy, sim.model_requested)
        plans, parts = [], []
        for i, (profile, algorithm) in enumerate(keys):
            if profile is None:
                query = _passthrough(sim, policy, routes[_SERVED])
            else:
                plans.append(sim.plan(scoped(policy, algorithm, profile), profile))
                query = plans[-1].query
            parts.append(_rows(query, routes, sim.model_requested, i))
        jobs.append((policy, plans, parts))
    frames = pl.collect_all([pl.concat(parts, how="diagonal_relaxed").sort(_ROW).drop(_ROW)
                             for _, _, parts in jobs])
    seconds = time.perf_counter() - started
    results = []
    for (policy, plans, _), frame in zip(jobs, frames):
        selections = {s.decision: s for plan in plans for s in plan.selections}
        results.append(SimulationResult(policy=policy, profile=plans[0].profile, requests=frame,
                                        extraction=plans[0].extraction if len(plans) == 1 else _merged(plans),
                                        selections=list(selections.values()), outcomes=plans[0].outcomes,
                                        mode=sim.mode, seconds=seconds))
    return results


def _counts(values: pl.Series) -> list[tuple[str, int]]:
    """(value, count) pairs, most frequent first, ties by value (a stable order for reports and tests)."""
    return sorted(((str(k), c) for k, c in values.value_counts().iter_rows()), key=lambda kc: (-kc[1], kc[0]))


def route_summary(requests: pl.DataFrame) -> dict[str, Any]:
    """Shares of requests per route and per recipe, and how many requests named each model name no
    alias, entrypoint or configured model knows (simulated through the default recipe)."""
    if ROUTE not in requests.columns:
        return {}
    n = max(requests.height, 1)
    unresolved = requests.filter(pl.col(ROUTE) == UNRESOLVED)[REQUESTED].fill_null("(none)")
    return {"route_share": {k: c / n for k, c in _counts(requests[ROUTE])},
            "recipe_share": {k: c / n for k, c in _counts(requests[RECIPE].drop_nulls())},
            "unresolved_models": dict(_counts(unresolved))}
