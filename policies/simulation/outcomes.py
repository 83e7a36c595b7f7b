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

**Requests the router answers itself** (:func:`answered_by_router`) call no model, so they cost
nothing, take no model latency (0 ms: the router's own overhead is not modelled for any request)
and have no model quality (null, and left out of quality coverage: there is no model answer to
score, and a refusal or a cached copy has no measured quality of its own). ``answered_by`` names
the plugin that answered; ``model`` stays the decision's model. Rules, from the router's source
(vllm-project/semantic-router, ``src/semantic-router/pkg/``):

* ``fast_response``: "Return a fixed response without calling an upstream model"
  (``config/plugin_registry.go``). ``extproc/processor_req_body.go`` runs it right after the
  decision, before rate limiting and the cache, as an immediate response; a request that hits it
  selects no model and counts no model request (``extproc/fast_response_selection_test.go``).
* ``response_cache`` (aliases ``semantic-cache``, ``semantic_cache``, ``response-cache``,
  ``config/plugin_registry.go``): on a hit ``extproc/req_filter_cache.go`` returns the cached body
  as an immediate response. It looks only when the store is on (``global.stores.response_cache.enabled``,
  on by default: ``config/canonical_defaults.go``), the winning decision's plugin says
  ``enabled: true`` (no plugin, no cache: ``RouterConfig.IsCacheEnabledForDecision``), and the
  decision does not personalise (a RAG plugin enabled, or memory enabled by the decision's plugin or
  else ``global.stores.memory``: ``decisionWillPersonalize``). With no decisions at all the store's
  switch alone decides (``semanticCacheEnabledForScope``); the default route of a policy with
  decisions never caches. Whether the cache *holds* an answer depends on earlier responses, their
  embeddings, the similarity threshold and the TTL, which a log cannot replay honestly; so a
  request is a hit only where its logged ``cache_hit`` is true (a compatible answer was cached
  when it arrived). Logged hits are also left out of the latency fit: a cache's milliseconds are
  not the model's.
* Every other plugin (``system_prompt``, ``header_mutation``, ``request_params``, ``masking``,
  ``rag``, ``memory``, ``tools``, ...) changes the request on its way to the model
  (``extproc/processor_req_body_routing.go``), so the model still answers and costs as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import polars as pl

from ..columns import outcome_column
from ..model import Decision, Policy
from ..validation.contract import DEPRECATED_PLUGIN_ALIASES

MIN_ROWS = 3
ANSWERED_BY = "answered_by"  # result column: the plugin that answered without a model (null: a model did)
CACHE_HIT = "cache_hit"  # outcome-table column: the log says a cache answered this request
FAST_RESPONSE = "fast_response"
RESPONSE_CACHE = "response_cache"


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
    served = (requests.filter(~pl.col(CACHE_HIT).fill_null(False))  # a cache's latency is not the model's
              .select("request_id", pl.col("model_served").alias("model"), "prompt_tokens",
                      "completion_tokens", "latency_ms"))
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


@dataclass(frozen=True)
class OutcomeModel:
    """What the outcomes are estimated from: latency profiles and length ratios, fitted over a whole
    traffic table. A distributed run (:mod:`.distributed`) fits it once over every block and hands
    it to each block's simulation, so a request's outcomes do not depend on the block it landed in."""

    profiles: dict[str, LatencyProfile]
    ratios: dict[str, float]


def fit_outcomes(requests: pl.DataFrame, candidates: pl.DataFrame) -> OutcomeModel:
    """The :class:`OutcomeModel` of ``requests`` (prepared frame) and their candidate outcomes."""
    return OutcomeModel(fit_latency(requests, candidates), length_ratios(requests, candidates))


@dataclass
class Outcomes:
    """Per-request counterfactual outcomes of every model, plus what they were estimated from."""

    table: pl.DataFrame  # request_id, cache_hit + cost::m, latency::m, quality::m, tokens::m
    models: list[str]
    profiles: dict[str, LatencyProfile]
    ratios: dict[str, float]
    priced: list[str]


def compute_outcomes(requests: pl.DataFrame, candidates: pl.DataFrame, policy: Policy, *,
                     seed: int = 0, tokenizer_ratio: dict[str, float] | None = None,
                     fitted: OutcomeModel | None = None) -> Outcomes:
    """The outcome table for every provider model of ``policy`` over ``requests`` (prepared frame),
    estimated from ``fitted`` (default: fitted over these requests)."""
    models = policy.model_names()
    fitted = fitted or fit_outcomes(requests, candidates)
    profiles, ratios = fitted.profiles, fitted.ratios
    wide = (candidates.filter(pl.col("model").is_in(models))
            .unique(subset=["request_id", "model"], keep="first")
            .pivot(on="model", index="request_id", values=["quality", "completion_tokens"]))
    frame = requests.select("request_id", "prompt_tokens", "cached_prompt_tokens", "completion_tokens",
                            "model_served", "quality", CACHE_HIT).join(wide, on="request_id", how="left")
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
    table = frame.select(pl.col("request_id"), pl.col(CACHE_HIT).fill_null(False), *exprs)
    return Outcomes(table, models, profiles, ratios, priced)


def _plugin(decision: Decision, kind: str) -> dict[str, Any] | None:
    """The configuration of ``decision``'s plugin of type ``kind`` (aliases resolved); None without one."""
    for plugin in decision.plugins or []:
        if DEPRECATED_PLUGIN_ALIASES.get(plugin.type, plugin.type) == kind:
            return plugin.configuration or {}
    return None


def _enabled(config: dict[str, Any] | None) -> bool:
    return bool(config and config.get("enabled"))


def _caches(decision: Decision, stores: dict[str, Any]) -> bool:
    """The router looks ``decision``'s requests up in the response cache (see the module docstring)."""
    memory = _plugin(decision, "memory")
    personalises = _enabled(_plugin(decision, "rag")) or (
        _enabled(memory) if memory is not None else _enabled(stores.get("memory")))
    return _enabled(_plugin(decision, RESPONSE_CACHE)) and not personalises


def answered_by_router(policy: Policy, decisions: Sequence[Decision]) -> pl.Expr:
    """``answered_by`` per request: the plugin that answers the routed ``decision`` without a model, else null.

    Reads the ``decision`` column and :data:`CACHE_HIT` of the outcome table.
    """
    stores = (policy.global_ or {}).get("stores") or {}
    store = stores.get(RESPONSE_CACHE, stores.get("semantic_cache")) or {}
    store_on = store.get("enabled", True) is not False
    fast = [d.name for d in decisions if d.answers_without_model]
    cached = [d.name for d in decisions if store_on and _caches(d, stores)]
    decision = pl.col("decision")
    cache_scope = decision.is_in(cached) if decisions else pl.lit(store_on)
    return (pl.when(decision.is_in(fast)).then(pl.lit(FAST_RESPONSE))
            .when(cache_scope & pl.col(CACHE_HIT)).then(pl.lit(RESPONSE_CACHE))
            .otherwise(pl.lit(None, pl.String)).alias(ANSWERED_BY))


def without_model(frame: pl.LazyFrame, policy: Policy, decisions: Sequence[Decision]) -> pl.LazyFrame:
    """``frame`` (routed requests with their outcomes) with :data:`ANSWERED_BY`; a request the router
    answers costs 0, takes 0 ms of model latency and has no model quality."""
    answered = pl.col(ANSWERED_BY).is_not_null()
    return (frame.with_columns(answered_by_router(policy, decisions))
            .with_columns(pl.when(answered).then(0.0).otherwise(pl.col("cost_usd")).alias("cost_usd"),
                          pl.when(answered).then(0.0).otherwise(pl.col("latency_ms")).alias("latency_ms"),
                          *(pl.when(answered).then(None).otherwise(pl.col(c)).alias(c)
                            for c in ("quality", "quality_source"))))
