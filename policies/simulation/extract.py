"""Signal extraction: raw scores per signal (cached), then ``fired::``/``conf::`` leaf expressions.

:class:`RawStore` keeps raw score columns keyed by each signal's :meth:`Extractor.raw_key`, so a
policy variant that only moves thresholds (or adds a decision over existing signals) re-uses every
computed column. Signals that cannot be computed offline never turn silently false: their leaves
evaluate as not fired *and* are listed in :attr:`Extraction.unavailable` with the reason, which
the run summary reports.

A kind whose matches compete within a request (:meth:`Signal.contest`: one preference, the longest
reask lookback, embedding ``top_k``) has every declared signal of the kind computed, and each leaf
keeps its own match only where the contest lets it (:mod:`policies.signals.contest`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import polars as pl

from ..columns import confidence_column, fired_column
from ..evaluate import LeafKey
from ..knowledge_bases import KnowledgeBaseCatalog
from ..model import RuleNode, Routing
from ..model.signals import Signal
from . import projections
from .leaves import Leaf, bound_signal, referenced_leaves
from .logged_signals import LoggedSignal, logged_families, replayable
from ..signals import kb
from ..signals.base import Extractor, LeafExpr, Unavailable, raw_column
from ..signals.contest import Entry, PolarsOps
from ..signals.settings import SignalSettings


@dataclass
class RawStore:
    """Raw score columns computed so far for one traffic table, keyed by (leaf type, raw key)."""

    frame: pl.DataFrame  # prepared requests (see frame.prepare_requests)
    context: Any = None  # models for neural extractors (see .neural.NeuralContext)
    columns: dict[tuple[str, str], dict[str, pl.Series]] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    computed: int = 0  # raw computations actually run (tests assert re-simulation adds none)
    # one computation at a time: two simulations of the same traffic (the studio's Simulation and
    # Compare tabs) wait for each other's columns instead of computing them twice
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def prefetch(self, leaf: Leaf) -> None:
        """Let ``leaf``'s extractor start work early (its ``prefetch``, when it has one), unless its
        raw columns are known already. Failures surface later, from :meth:`get`."""
        extractor = Extractor.for_leaf_type(leaf.leaf_type) if leaf.signal is not None else None
        start = getattr(extractor, "prefetch", None)
        if start is None:
            return
        key = (leaf.leaf_type, extractor.raw_key(leaf.signal))
        if key not in self.columns and key not in self.failures:
            try:
                start(leaf.signal, self.frame, self.context_for(leaf.signal))
            except Unavailable:
                pass

    @cached_property
    def logged_families(self) -> frozenset[str]:
        """Signal families the log records production's verdicts for (scanned once per traffic)."""
        return logged_families(self.frame)

    def context_for(self, signal: Signal) -> Any:
        """The models that compute ``signal``: a team's own where the context binds one to it
        (:meth:`.neural.NeuralContext.for_signal`), else the context itself."""
        bound = getattr(self.context, "for_signal", None)
        return self.context if bound is None else bound(signal)

    def get(self, extractor: Extractor, signal: Signal) -> dict[str, pl.Series]:
        """Raw columns for ``signal``; raises :class:`Unavailable` (remembered) when not computable."""
        key = (extractor.leaf_type, extractor.raw_key(signal))
        with self.lock:
            if key in self.failures:
                raise Unavailable(self.failures[key])
            if key not in self.columns:
                try:
                    raw = extractor.raw(signal, self.frame, self.context_for(signal))
                    self.columns[key] = {part: narrowed(series) for part, series in raw.items()}
                    self.computed += 1
                except Unavailable as exc:
                    self.failures[key] = str(exc)
                    raise
            return self.columns[key]


def narrowed(series: pl.Series) -> pl.Series:
    """``series`` as Float32 when that changes no value, else unchanged.

    Most raw columns are 0/1 hits, token counts, or scores computed in float32 (embedding
    similarities, classifier probabilities) and merely widened to Float64: they are kept at half
    the memory, which a million-request table with dozens of signals needs. Scores that need the
    precision (BM25, fuzzy ratios) keep it, so no threshold test changes.
    """
    if series.dtype != pl.Float64:
        return series
    narrow = series.cast(pl.Float32)
    return narrow if narrow.cast(pl.Float64).equals(series, check_names=False) else series


@dataclass
class Extraction:
    """What one policy needs from the traffic: raw columns plus leaf expressions over them."""

    raw: pl.DataFrame  # request_id + raw::… columns
    leaves: dict[LeafKey, LeafExpr]
    unavailable: dict[str, str]  # "type:name" -> reason
    # internal projection columns (partition verdicts, then scores), one ``with_columns`` per stage
    # before the leaf columns: leaves read them by name instead of inlining their expressions
    stages: list[list[pl.Expr]] = field(default_factory=list)
    # "type:name" -> why it could not be computed here; production's logged verdicts stand in
    replayed: dict[str, str] = field(default_factory=dict)

    def scored(self, key: LeafKey) -> bool:
        leaf = self.leaves.get(key)
        return leaf is not None and leaf.conf is not None

    def leaf_columns(self) -> list[pl.Expr]:
        """``fired::…`` (bool) and ``conf::…`` (float, null when crisp) for every leaf."""
        exprs: list[pl.Expr] = []
        for key, leaf in self.leaves.items():
            exprs.append(leaf.fired.fill_null(False).alias(fired_column(key)))
            conf = leaf.conf if leaf.conf is not None else pl.lit(None, dtype=pl.Float64)
            exprs.append(conf.cast(pl.Float64).alias(confidence_column(key)))
        return exprs


def _signal_leaf(leaf: Leaf, store: RawStore, raw: dict[str, pl.Series], unavailable: dict[str, str],
                 replayed: dict[str, str], rivals: list[Signal], settings: SignalSettings) -> LeafExpr:
    """The leaf over its raw columns, its contest with ``rivals`` (the kind's declared signals, bound)
    applied; a kind we cannot compute replays the log where it can (:mod:`.logged_signals`), else it
    is unavailable (never silently false)."""
    label = f"{leaf.key[0]}:{leaf.key[1]}"
    if leaf.signal is None:
        unavailable[label] = "signal is not defined in routing.signals"
        return LeafExpr(pl.lit(False), None)
    extractor: Extractor | None = Extractor.for_leaf_type(leaf.leaf_type)
    try:
        if extractor is None:
            raise Unavailable(leaf.signal.offline_reason or f"{leaf.leaf_type} signals cannot be computed offline")
        store.get(extractor, leaf.signal)
    except Unavailable as exc:
        if not replayable(leaf.leaf_type, leaf.node, store.logged_families):
            unavailable[label] = str(exc)
            return LeafExpr(pl.lit(False), None)
        replayed[label] = str(exc)
        extractor = None
    try:
        if extractor is None:  # production's logged verdicts (they include the router's contests)
            return _own_leaf(LoggedSignal(leaf.leaf_type), leaf.signal, leaf.node, store, raw, owner=("logged", label))
        return _contested(leaf, _own_leaf(extractor, leaf.signal, leaf.node, store, raw), extractor, store, raw,
                          rivals, settings)
    except Unavailable as exc:  # the rule itself (or a rival the router compares it with) cannot be computed
        unavailable[label] = str(exc)
        return LeafExpr(pl.lit(False), None)


def _own_leaf(extractor: Extractor, signal: Signal, node: RuleNode, store: RawStore, raw: dict[str, pl.Series],
              owner: tuple[str, str] | None = None) -> LeafExpr:
    """The leaf as the signal's own rule decides it, its raw columns added to ``raw``."""
    owner = owner or (extractor.leaf_type, signal.name)
    for part, series in store.get(extractor, signal).items():
        raw[raw_column(*owner, part)] = series
    return extractor.leaf(signal, node, lambda part: pl.col(raw_column(*owner, part)))


def _contested(leaf: Leaf, own: LeafExpr, extractor: Extractor, store: RawStore, raw: dict[str, pl.Series],
               rivals: list[Signal], settings: SignalSettings) -> LeafExpr:
    """``own`` where the kind's contest (:meth:`Signal.contest`) keeps it; a rival we cannot compute
    makes the leaf unavailable (the router would compare them)."""
    assert leaf.signal is not None
    contest = type(leaf.signal).contest(rivals, settings)
    if contest is None:
        return own
    entries: dict[str, Entry[pl.Expr]] = {}
    for rival in rivals:
        try:
            mine = own if rival.name == leaf.signal.name else _own_leaf(
                extractor, rival, RuleNode.leaf(leaf.leaf_type, rival.name), store, raw)
        except Unavailable as exc:
            raise Unavailable(f"the router compares it with {leaf.leaf_type} signal '{rival.name}', which cannot be "
                              f"computed: {exc}") from exc
        fired = mine.fired.fill_null(False)
        scored = mine.conf.is_not_null() if mine.conf is not None else pl.lit(True)
        entries[rival.name] = Entry(fired, scored if contest.entry == "scored" else fired, mine.conf)
    return LeafExpr(contest.kept(leaf.signal.name, entries, PolarsOps()), own.conf)


def extract(routing: Routing, store: RawStore, catalog: KnowledgeBaseCatalog,
            settings: SignalSettings | None = None) -> Extraction:
    """Raw columns and leaf expressions for every leaf ``routing`` references (projections applied).

    ``catalog``: the knowledge bases ``kb`` signals and ``kb_metric`` inputs may name (the config's,
    :meth:`KnowledgeBaseCatalog.of`); ``settings``: the config's signal settings
    (:meth:`SignalSettings.of` its ``global`` block; the router's defaults when None)."""
    settings = settings or SignalSettings()
    raw: dict[str, pl.Series] = {"request_id": store.frame["request_id"]}
    unavailable: dict[str, str] = {}
    replayed: dict[str, str] = {}
    leaves = [Leaf(leaf.key, leaf.node, kb.bind(leaf.signal, catalog)) for leaf in referenced_leaves(routing, settings)]
    proj = routing.projections
    # partition members and score inputs are leaves too, even when no decision names them
    extra: list[tuple[str, str]] = []
    metrics: list[kb.KbMetricInput] = []
    if proj:
        for part in proj.partitions or []:
            for member in part.members or []:
                kind = _member_type(routing, member)
                if kind:
                    extra.append((kind, member))
        for score in proj.scores or []:
            for item in score.inputs or []:
                if item.get("type") == "kb_metric":
                    metrics.append(kb.metric_input(item, catalog))
                elif item.get("type") != "projection":
                    extra.append((str(item.get("type")), str(item.get("name"))))
    known = {leaf.key for leaf in leaves}
    for kind, name in extra:
        if (kind, name) not in known:
            node = RuleNode(type=kind, name=name)
            signal = bound_signal(routing, routing.find_signal(kind, name), settings)
            leaves.append(Leaf((kind, name), node, kb.bind(signal, catalog)))
            known.add((kind, name))
    for metric in metrics:
        if ("kb_metric", metric.name) not in known:
            leaves.append(Leaf(("kb_metric", metric.name), RuleNode(type="kb_metric", name=metric.name), metric))
            known.add(("kb_metric", metric.name))
    plan = getattr(store.context, "plan", None)  # lets the models share one pass (see NeuralContext.plan)
    if plan is not None:
        plan({leaf.leaf_type for leaf in leaves})
    for leaf in leaves:  # slow passes that can run beside the encoder start first (PiiExtractor.prefetch)
        store.prefetch(leaf)
    exprs: dict[LeafKey, LeafExpr] = {}
    rivals: dict[str, list[Signal]] = {}
    for leaf in leaves:
        if leaf.leaf_type != "projection":
            if leaf.leaf_type not in rivals:
                declared = routing.signals.of_kind(leaf.leaf_type) if routing.signals else []
                rivals[leaf.leaf_type] = [s for s in (bound_signal(routing, d, settings) for d in declared) if s]
            exprs[leaf.key] = _signal_leaf(leaf, store, raw, unavailable, replayed, rivals[leaf.leaf_type], settings)
    stages: list[list[pl.Expr]] = []
    if proj:
        exprs = _apply_projections(routing, exprs, raw, leaves, unavailable, stages)
    for leaf in leaves:  # projection outputs nobody defines
        if leaf.key not in exprs:
            unavailable[f"projection:{leaf.key[1]}"] = "no projection mapping defines this output"
            exprs[leaf.key] = LeafExpr(pl.lit(False), None)
    return Extraction(pl.DataFrame(raw), exprs, unavailable, stages=stages, replayed=replayed)


def _member_type(routing: Routing, member: str) -> str | None:
    for kind in ("domain", "embedding"):
        if routing.find_signal(kind, member) is not None:
            return kind
    return None


def _score_lookup(raw: dict[str, pl.Series]) -> Callable[[str, str], pl.Expr]:
    def score(kind: str, name: str) -> pl.Expr:
        column = raw_column(kind, name, "score")
        return pl.col(column) if column in raw else pl.lit(None, dtype=pl.Float64)
    return score


def _apply_projections(routing: Routing, exprs: dict[LeafKey, LeafExpr], raw: dict[str, pl.Series],
                       leaves: list[Leaf], unavailable: dict[str, str],
                       stages: list[list[pl.Expr]]) -> dict[LeafKey, LeafExpr]:
    """Partitions, scores and mappings applied to ``exprs``; appends their internal column stages.

    Each layer is materialised before the next reads it (a band reads its score five times, a
    score reads each partition verdict), so the plan grows with the config, not with the product
    of its layers (see :func:`.projections.apply_partitions`)."""
    proj = routing.projections
    assert proj is not None
    score = _score_lookup(raw)
    usable = []
    for part in proj.partitions or []:
        missing = [m for m in part.members or [] if f"{_member_type(routing, m)}:{m}" in unavailable]
        if missing:  # a partial partition would force its default: leave members as they are, say why
            unavailable[f"partition:{part.name}"] = f"members {missing} are unavailable"
        else:
            usable.append(part)
    exprs, verdicts = projections.apply_partitions(usable, lambda m: _member_type(routing, m), exprs, score)
    stages += verdicts
    try:
        scores = projections.score_exprs(proj, exprs, score)
    except Unavailable as exc:
        for leaf in leaves:
            if leaf.leaf_type == "projection":
                unavailable[f"projection:{leaf.key[1]}"] = str(exc)
        return exprs
    names = {name: projections.internal_column("score", name) for name in scores}
    stages.append([expr.alias(names[name]) for name, expr in scores.items()])
    exprs.update(projections.mapping_leaves(proj.mappings or [], {name: pl.col(c) for name, c in names.items()}))
    return exprs
