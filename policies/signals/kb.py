"""``kb`` signals and ``kb_metric`` projection inputs: a request scored against a knowledge base.

The router embeds every exemplar of a knowledge base (:mod:`policies.knowledge_bases`) and, per
request, scores each label; ``kb`` signals and ``kb_metric`` inputs read those label scores.
Raw columns are the label scores (``label:<name>``, one per label with exemplars), keyed by the
KB's exemplars and prototype scoring only, so every signal on one KB shares them and editing a
KB threshold, group or metric recomputes nothing. Exemplars and prompts are embedded by the
shared encoder and its cache (:class:`policies.simulation.neural.NeuralContext`), like embedding signals; the
router uses its own embedding model, so similarities are this encoder's, not the router's.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``classification/category_kb_embeddings.go`` and ``prototype_bank.go`` (``newPrototypeBank``):
  per label, exemplars are clustered greedily: the seed gathering the most remaining exemplars
  with similarity ``>= cluster_similarity_threshold`` wins (ties: the smaller seed text), its
  medoid (highest mean similarity in the cluster, ties: smaller text) represents it; prototypes
  are sorted by cluster size, mean similarity, text, and cut to ``max_prototypes``. With
  ``prototype_scoring.enabled: false`` every exemplar is a prototype, unsorted and uncut.
* ``prototype_bank.go`` (``score``) via ``category_kb_scoring.go`` (``computeLabelScores``): a
  label's score is ``best_weight × best + (1 − best_weight) × support``, best = highest prototype
  similarity, support = mean of the ``top_m`` highest (all when fewer).
* ``category_kb_scoring.go`` (``buildResultFromLabelScores``): the best label is the first, in
  byte order of names, with the highest score; a label *matches* at score ``>= label_thresholds
  [label]`` (else the KB's ``threshold``); a group's score is the highest score of its labels (0
  at least, and 0 for labels without exemplars); the best group is the first in name order with
  the highest group score; a group matches when one of its labels matches. Metrics:
  ``best_score`` (highest label score), ``best_matched_score`` (highest matched label score, 0
  when none) and each ``group_margin`` metric (positive group score − negative group score).
* ``classification/`` ``kbSignalMatchConfidence`` (beside ``evaluateKBSignals``): ``match``
  defaults to ``threshold``. Target ``label``: ``best`` fires when the label is the best label,
  ``threshold`` when it matches; confidence = its score. Target ``group``: ``best`` fires when the
  group is the best group, ``threshold`` when it matches; confidence = the group's score.
* ``classification/category_kb_classifier.go`` (``Classify``): a blank text is an error, so the
  KB gives no result: no ``kb`` signal fires and every ``kb_metric`` reads 0.
* ``classification/classifier_projection_inputs.go`` (``projectionInputValue``): a ``kb_metric``
  input reads the metric's value whatever its ``value_source``; KB and metric names compare
  case-insensitively (``kbMetricKey`` lower-cases both).

The prompt scored is the request's last user message, as for embedding signals (the router's
``textForSignal`` hands KB and embedding signals the same text). Config mistakes the router's
validator refuses (an undeclared KB, group or label, an unknown ``match`` or metric) are reported
per signal as unavailable, never read as "did not fire".

The solver sees ``match: best`` as the KB's best label (or best group) being the target, one closed
enumeration per KB and target kind, and ``match: threshold`` as a flag per KB target (its score
against the KB's thresholds needs the catalog, which the solver does not read). Both are level 3
(model-decided).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr

from ..knowledge_bases import (BEST_MATCHED_SCORE, BEST_SCORE, GROUP_MARGIN, KnowledgeBase, KnowledgeBaseCatalog,
                               KnowledgeBaseError, PrototypeScoring)
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from ..model.rules import RuleNode


class KbSignal(Signal):
    collection = "kb"
    leaf_type = "kb"
    summary = "Knowledge-base match."
    editor_fields = (
        EditorField("kb", "text"),
        EditorField("target", "yaml"),
        EditorField("match", "text"),
    )
    neural = True
    kb: str | None = None
    target: dict[str, Any] | None = None
    match: str | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        kind = str((self.target or {}).get("kind") or "label")
        value = str((self.target or {}).get("value") or self.name)
        if (self.match or "threshold") == "best":
            best = pool.enum(f"kb:{self.kb}:best_{kind}", f"best {kind} of kb {self.kb}", 3)
            return pool.is_(best, value), []
        return pool.boolean(f"kb:{self.kb}:{kind}:{value}", "flag", f"kb {self.kb} {kind} {value} matches", level=3), []


LABEL = "label:"  # raw part prefix: one score column per label


class BoundKb(KbSignal):
    """A ``kb`` signal together with the knowledge base its ``kb`` names (or why there is none).

    Made by :func:`bind` for one extraction; not a config collection of its own."""

    collection = ""
    leaf_type = ""
    _knowledge_base: KnowledgeBase | None = PrivateAttr(default=None)
    _problem: str | None = PrivateAttr(default=None)

    def knowledge_base(self) -> KnowledgeBase:
        if self._knowledge_base is None:
            raise Unavailable(self._problem or "the signal's knowledge base was not resolved")
        return self._knowledge_base


class KbMetricInput(BoundKb):
    """A projection input ``{type: kb_metric, kb, metric}``; its name is ``<kb>:<metric>``."""

    metric: str = ""


def _resolved(bound: BoundKb, name: str, catalog: KnowledgeBaseCatalog, *, fold: bool = False) -> BoundKb:
    if fold:  # kb_metric names compare case-insensitively in the router
        name = next((n for n in catalog.names() if n.lower() == name.lower()), name)
    try:
        bound._knowledge_base = catalog.get(name)
    except KnowledgeBaseError as exc:
        bound._problem = str(exc)
    return bound


def bind(signal: Signal | None, catalog: KnowledgeBaseCatalog) -> Signal | None:
    """``signal`` with its knowledge base resolved from ``catalog`` when it is a ``kb`` signal."""
    if not isinstance(signal, KbSignal) or isinstance(signal, BoundKb):
        return signal
    bound = BoundKb.from_spec(signal.to_spec())
    if not signal.kb:
        bound._problem = "kb signal names no knowledge base (field 'kb')"
        return bound
    return _resolved(bound, signal.kb, catalog)


def metric_name(item: dict[str, Any]) -> str:
    """The leaf name of the ``kb_metric`` projection input ``item``: ``<kb>:<metric>``."""
    return f"{item.get('kb') or ''}:{item.get('metric') or ''}"


def metric_input(item: dict[str, Any], catalog: KnowledgeBaseCatalog) -> KbMetricInput:
    """The ``kb_metric`` projection input ``item``, its knowledge base resolved from ``catalog``."""
    kb, metric = str(item.get("kb") or ""), str(item.get("metric") or "")
    bound = KbMetricInput(name=metric_name(item), kb=kb, metric=metric)
    if not kb or not metric:
        bound._problem = "a kb_metric input needs both 'kb' and 'metric'"
        return bound
    return _resolved(bound, kb, catalog, fold=True)


# -- label scores (raw) -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prototype:
    index: int
    size: int
    mean_similarity: float
    text: str


def prototypes(texts: list[str], vectors: np.ndarray, scoring: PrototypeScoring) -> list[int]:
    """Indices (into ``texts``) of one label's prototypes, in the router's order."""
    import numpy as np

    if not scoring.enabled:
        return list(range(len(texts)))
    sims = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sims, 1.0)
    close = sims >= scoring.cluster_similarity_threshold
    np.fill_diagonal(close, True)  # the seed is always in its own cluster
    remaining = list(range(len(texts)))
    chosen: list[_Prototype] = []
    while remaining:
        sizes = close[np.ix_(remaining, remaining)].sum(axis=1)
        seed = min((i for i, s in zip(remaining, sizes) if s == sizes.max()), key=lambda i: (texts[i], i))
        members = [i for i in remaining if close[seed, i]]
        means = sims[np.ix_(members, members)].mean(axis=1)
        k = min(range(len(members)), key=lambda j: (-means[j], texts[members[j]], j))
        chosen.append(_Prototype(members[k], len(members), float(means[k]), texts[members[k]]))
        taken = set(members)
        remaining = [i for i in remaining if i not in taken]
    chosen.sort(key=lambda p: (-p.size, -p.mean_similarity, p.text))
    if scoring.max_prototypes > 0:
        chosen = chosen[:scoring.max_prototypes]
    return [p.index for p in chosen]


def bank_scores(similarities: np.ndarray, scoring: PrototypeScoring) -> np.ndarray:
    """A label's score per request from its ``[requests, prototypes]`` similarities."""
    import numpy as np

    ranked = -np.sort(-similarities.astype(np.float64), axis=1)
    count = ranked.shape[1]
    top_m = scoring.top_m if 0 < scoring.top_m <= count else count
    weight = min(max(scoring.best_weight, 0.0), 1.0)
    return weight * ranked[:, 0] + (1.0 - weight) * ranked[:, :top_m].mean(axis=1)


class KbExtractor(Extractor):
    leaf_type = "kb"
    neural = True
    threshold_fields = frozenset({"description"})

    def raw_key(self, signal: Signal) -> str:
        """Every signal on one knowledge base shares its label scores (only exemplars and prototype
        scoring change them); an unresolvable KB is keyed by why."""
        assert isinstance(signal, BoundKb)
        kb = signal._knowledge_base
        what = kb.fingerprint() if kb is not None else f"problem:{signal._problem}"
        return hashlib.sha256(json.dumps(["kb-labels", what]).encode()).hexdigest()[:24]

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np
        import polars as pl

        from ..simulation.frame import PROMPT

        assert isinstance(signal, BoundKb)
        kb = signal.knowledge_base()
        scoring = kb.config.prototype_scoring
        banks = {}
        for label, texts in kb.labels.items():
            keep = prototypes(list(texts), context.embed(list(texts)), scoring)
            banks[label] = [texts[i] for i in keep]
        candidates = [t for texts in banks.values() for t in texts]
        sims = context.similarities(frame[PROMPT], candidates)
        blank = frame[PROMPT].str.strip_chars().eq("").to_numpy()
        out: RawColumns = {}
        start = 0
        for label, texts in banks.items():
            scores = bank_scores(sims[:, start:start + len(texts)], scoring)
            out[LABEL + label] = pl.Series(np.where(blank, np.nan, scores)).fill_nan(None)
            start += len(texts)
        return out

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, BoundKb)
        scores = _Scores(signal.knowledge_base(), col)
        kind = str((signal.target or {}).get("kind") or "")
        value = str((signal.target or {}).get("value") or "")
        match = signal.match or "threshold"  # compared as written, as the router's runtime does
        if match not in ("best", "threshold"):
            raise Unavailable(f"match {signal.match!r} is unsupported (the router accepts best, threshold)")
        if kind == "label":
            score = scores.label(value)
            fired = scores.is_best(scores.labels, value) if match == "best" else scores.matches(value)
        elif kind == "group":
            score = scores.group(value)
            fired = (scores.is_best(scores.groups(), value) if match == "best"
                     else pl.any_horizontal([scores.matches(label) for label in scores.members(value)] or [pl.lit(False)]))
        else:
            raise Unavailable(f"target.kind {kind!r} is unsupported (the router accepts label, group)")
        return LeafExpr((scores.scored & fired).fill_null(False), score)


class KbMetricExtractor(KbExtractor):
    """Projection inputs ``{type: kb_metric}``: the leaf's ``conf`` is the metric's value (0 where the
    KB gives no result), ``fired`` whether the KB scored the request."""

    leaf_type = "kb_metric"
    neural = True

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, KbMetricInput)
        scores = _Scores(signal.knowledge_base(), col)
        return LeafExpr(scores.scored, scores.metric(signal.metric).fill_null(0.0))


class _Scores:
    """Expressions over one KB's label-score columns, with the router's ties and defaults."""

    def __init__(self, kb: KnowledgeBase, col: ColumnRef) -> None:
        self.kb = kb
        self.labels = {label: col(LABEL + label) for label in kb.labels}
        self.scored = next(iter(self.labels.values())).is_not_null()

    def label(self, name: str) -> pl.Expr:
        if name not in self.labels:
            raise Unavailable(f"label {name!r} has no exemplars in knowledge base {self.kb.name!r} "
                              f"({self.kb.manifest}); labels: {', '.join(self.labels)}")
        return self.labels[name]

    def matches(self, label: str) -> pl.Expr:
        """The label's score reaches its threshold (a label without exemplars never matches)."""
        import polars as pl

        if label not in self.labels:
            return pl.lit(False)
        return self.labels[label] >= self.kb.config.label_threshold(label)

    def members(self, group: str) -> tuple[str, ...]:
        if group not in self.kb.config.groups:
            raise Unavailable(f"group {group!r} is not declared for knowledge base {self.kb.name!r}; "
                              f"groups: {', '.join(self.kb.config.groups) or 'none'}")
        return self.kb.config.groups[group]

    def group(self, name: str) -> pl.Expr:
        import polars as pl

        present = [self.labels[label] for label in self.members(name) if label in self.labels]
        return pl.max_horizontal(pl.lit(0.0), *present)

    def groups(self) -> dict[str, pl.Expr]:
        return {name: self.group(name) for name in self.kb.config.groups}

    @staticmethod
    def is_best(scores: dict[str, pl.Expr], target: str) -> pl.Expr:
        """``target`` is the first name, in byte order, holding the highest score."""
        import polars as pl

        if target not in scores:
            return pl.lit(False)
        mine = scores[target]
        beats = [mine > other if name < target else mine >= other for name, other in scores.items() if name != target]
        return pl.all_horizontal(beats) if beats else pl.lit(True)

    def metric(self, name: str) -> pl.Expr:
        import polars as pl

        lowered = name.lower()
        if lowered == BEST_SCORE:
            return pl.max_horizontal(*self.labels.values())
        if lowered == BEST_MATCHED_SCORE:
            return pl.max_horizontal(*(pl.when(self.matches(label)).then(score)
                                       for label, score in self.labels.items())).fill_null(0.0)
        metric = next((m for m in self.kb.config.metrics if m.name.lower() == lowered), None)
        if metric is None:
            declared = [BEST_SCORE, BEST_MATCHED_SCORE, *(m.name for m in self.kb.config.metrics)]
            raise Unavailable(f"knowledge base {self.kb.name!r} has no metric {name!r}; metrics: {', '.join(declared)}")
        if metric.type != GROUP_MARGIN:
            raise Unavailable(f"metric {metric.name!r} has type {metric.type!r}; the router computes only "
                              f"{GROUP_MARGIN} (it would read 0)")
        return self.group(metric.positive_group) - self.group(metric.negative_group)
