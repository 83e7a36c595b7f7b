"""``simulate(policy, traffic)``: route every logged request through a policy, offline.

:class:`Simulator` holds one traffic table and everything derived from it that does not depend on
the policy's thresholds: the prepared requests, raw signal scores (:class:`.extract.RawStore`) and
counterfactual outcomes per pricing. ``simulate`` on a variant of the same policy (the studio's
threshold sliders) therefore only rebuilds expressions and runs one Polars query.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..columns import fired_column, outcome_column
from ..knowledge_bases import KnowledgeBaseCatalog
from ..model import Policy, Routing
from ..signals.settings import SignalSettings
from ..traffic import TrafficSet
from .decide import WINNER, Compiled, compile_decisions
from .entrypoints import requested_models, simulate_routed
from .extract import Extraction, RawStore, extract
from .frame import prepare_candidates, prepare_requests
from .outcomes import ANSWERED_BY, OutcomeModel, Outcomes, compute_outcomes, without_model
from .result import SimulationResult
from .selection import Selection, select


@dataclass
class Plan:
    """A simulation before it runs: the lazy query plus what its summary needs."""

    policy: Policy
    profile: str
    query: pl.LazyFrame
    extraction: Extraction
    selections: list[Selection]
    outcomes: Outcomes

    def result(self, frame: pl.DataFrame, mode: str, seconds: float) -> SimulationResult:
        return SimulationResult(policy=self.policy, profile=self.profile, requests=frame,
                                extraction=self.extraction, selections=self.selections,
                                outcomes=self.outcomes, mode=mode, seconds=seconds)


def routing_of(policy: Policy, profile: str) -> Routing:
    for p in policy.profiles():
        if p.name == profile:
            return p.routing
    raise ValueError(f"policy has no routing profile {profile!r}")


class Simulator:
    """Simulates any number of policies over one traffic table, sharing every cached score."""

    def __init__(self, traffic: TrafficSet | pl.DataFrame, candidate_outcomes: pl.DataFrame | None = None, *,
                 context: Any = None, seed: int = 0, mode: str = "current",
                 tokenizer_ratio: dict[str, float] | None = None, outcome_model: OutcomeModel | None = None) -> None:
        if isinstance(traffic, TrafficSet):
            requests, candidate_outcomes = traffic.requests, traffic.candidate_outcomes
        else:
            requests = traffic
        self.frame = prepare_requests(requests)
        self.model_requested = requested_models(requests)  # picks each request's recipe (.entrypoints)
        self.candidates = prepare_candidates(candidate_outcomes)
        if context is None:
            from .neural import NeuralContext  # the models load lazily, on the first neural signal
            context = NeuralContext()
        self.store = RawStore(self.frame, context)
        self.seed = seed
        self.mode = mode
        self.tokenizer_ratio = dict(tokenizer_ratio or {})
        self.outcome_model = outcome_model  # None: fitted over this traffic (see outcomes.OutcomeModel)
        self._outcomes: dict[str, Outcomes] = {}
        self._catalogs: dict[tuple[str, str | None], KnowledgeBaseCatalog] = {}

    @property
    def context(self) -> Any:
        return self.store.context

    def outcomes(self, policy: Policy) -> Outcomes:
        """Counterfactual outcomes under ``policy``'s models and pricing (cached per pricing)."""
        spec = [m.to_spec() for m in policy.providers.models] if policy.providers else []
        key = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
        if key not in self._outcomes:
            self._outcomes[key] = compute_outcomes(self.frame, self.candidates, policy, seed=self.seed,
                                                   tokenizer_ratio=self.tokenizer_ratio, fitted=self.outcome_model)
        return self._outcomes[key]

    def extract(self, policy: Policy, routing: Routing) -> Extraction:
        """The signals ``routing`` (one of ``policy``'s profiles) evaluates, with the config-wide parts the
        router reads from ``global`` (knowledge bases, ``top_k``, the domain threshold)."""
        return extract(routing, self.store, self._catalog(policy), SignalSettings.of(policy.global_))

    def _catalog(self, policy: Policy) -> KnowledgeBaseCatalog:
        """One catalog per knowledge-base declaration, so variants of a policy (sliders, a calibration's
        candidates) read each knowledge base's exemplars once."""
        declared = (policy.global_ or {}).get("model_catalog")
        kbs = declared.get("kbs") if isinstance(declared, dict) else None
        key = (json.dumps(kbs, sort_keys=True, default=str), policy.source_file)
        if key not in self._catalogs:
            self._catalogs[key] = KnowledgeBaseCatalog.of(policy.global_, policy.source_file)
        return self._catalogs[key]

    def plan(self, policy: Policy, profile: str = "") -> Plan:
        """The lazy query of one simulation (signals are extracted; nothing else runs yet)."""
        routing = routing_of(policy, profile)
        extraction = self.extract(policy, routing)
        compiled = compile_decisions(routing.all_decisions(), extraction.scored, routing.strategy_name, self.mode)
        selections = [select(d, policy) for d in compiled.decisions]
        outcomes = self.outcomes(policy)
        query = self._query(policy, routing, extraction, compiled, selections, outcomes)
        return Plan(policy, profile, query, extraction, selections, outcomes)

    def simulate(self, policy: Policy, profile: str | None = None) -> SimulationResult:
        """Route every request through ``policy``: through the recipe its model name selects, as the
        router does (:mod:`.entrypoints`), or with ``profile`` (a recipe name, "" = top-level routing)
        every request through that one profile."""
        if profile is None:
            return simulate_routed(self, [policy])[0]
        started = time.perf_counter()
        plan = self.plan(policy, profile)
        return plan.result(plan.query.collect(), self.mode, time.perf_counter() - started)

    def simulate_many(self, policies: list[Policy], profile: str | None = None) -> list[SimulationResult]:
        """Several variants in one Polars run (``collect_all`` shares the scan of cached columns)."""
        if profile is None:
            return simulate_routed(self, policies)
        started = time.perf_counter()
        plans = [self.plan(p, profile) for p in policies]
        frames = pl.collect_all([p.query for p in plans])
        seconds = time.perf_counter() - started
        return [p.result(f, self.mode, seconds) for p, f in zip(plans, frames)]

    # alias that reads well where the studio re-runs a tweaked policy over cached signals
    resimulate = simulate

    def _query(self, policy: Policy, routing: Routing, extraction: Extraction, compiled: Compiled,
               selections: list[Selection], outcomes: Outcomes) -> pl.LazyFrame:
        names = [d.name for d in compiled.decisions]
        default = policy.default_model
        winner = pl.col(WINNER)
        decision = (winner.replace_strict(list(range(len(names))), names, default=None, return_dtype=pl.String)
                    if names else pl.lit(None, pl.String))
        model = (winner.replace_strict(list(range(len(names))), [s.model for s in selections],
                                       default=None, return_dtype=pl.String) if names
                 else pl.lit(None, pl.String)).fill_null(pl.lit(default, pl.String))
        leaf_cols = extraction.leaf_columns()
        lazy = pl.concat([extraction.raw, outcomes.table.drop("request_id")], how="horizontal").lazy()
        for stage in extraction.stages:
            lazy = lazy.with_columns(stage)
        lazy = lazy.with_columns(leaf_cols).with_columns(compiled.match_columns())
        for stage in compiled.winner_stages():
            lazy = lazy.with_columns(stage)
        lazy = lazy.with_columns(decision.alias("decision"), model.alias("model"))
        measured = self._pick(outcomes, "quality")
        prior = self._domain_prior(routing, outcomes.models, extraction)
        lazy = lazy.with_columns(
            self._pick(outcomes, "cost").alias("cost_usd"),
            self._pick(outcomes, "latency").alias("latency_ms"),
            pl.coalesce(measured, prior).alias("quality"),
            pl.when(measured.is_not_null()).then(pl.lit("measured"))
            .when(prior.is_not_null()).then(pl.lit("domain_model_scores")).alias("quality_source"),
        )
        lazy = without_model(lazy, policy, compiled.decisions)
        keep = ["request_id", "decision", "model", "cost_usd", "latency_ms", "quality", "quality_source", ANSWERED_BY]
        keep += [f"match::{n}" for n in names]
        keep += [e.meta.output_name() for e in leaf_cols]
        return lazy.select(keep)

    @staticmethod
    def _pick(outcomes: Outcomes, kind: str) -> pl.Expr:
        """The ``kind`` outcome column of each request's routed model."""
        chain = None
        for m in outcomes.models:
            test, value = pl.col("model") == m, pl.col(outcome_column(kind, m))
            chain = pl.when(test).then(value) if chain is None else chain.when(test).then(value)
        return pl.lit(None, pl.Float64) if chain is None else chain.otherwise(None).cast(pl.Float64)

    @staticmethod
    def _domain_prior(routing: Routing, models: list[str], extraction: Extraction) -> pl.Expr:
        """``domains[].model_scores`` of the first fired domain (policy order) that scores the model.

        Only domains some rule or projection evaluates have a ``fired::`` column; others cannot
        say which request they cover and contribute nothing (visible as quality coverage).
        """
        chain = None
        for signal in (routing.signals.domains or []) if routing.signals else []:
            if ("domain", signal.name) not in extraction.leaves:
                continue
            for entry in signal.model_scores or []:
                if entry.get("model") not in models or entry.get("score") is None:
                    continue
                test = (pl.col("model") == entry["model"]) & pl.col(fired_column(("domain", signal.name)))
                chain = (pl.when(test) if chain is None else chain.when(test)).then(float(entry["score"]))
        return pl.lit(None, pl.Float64) if chain is None else chain.otherwise(None).cast(pl.Float64)


def simulate(policy: Policy, traffic: TrafficSet | pl.DataFrame, candidate_outcomes: pl.DataFrame | None = None,
             **options: Any) -> SimulationResult:
    """One-shot simulation (build a :class:`Simulator` to re-simulate variants over cached scores)."""
    return Simulator(traffic, candidate_outcomes, **options).simulate(policy)
