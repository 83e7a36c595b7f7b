"""Scoring requests against an exemplar bank the way the router's ``prototypeBank`` does, for the kinds
that score a prompt against example phrases (embedding, complexity, preference).

Why: the router does not take the best cosine similarity to a kind's examples; it clusters the
examples into prototypes and blends the best prototype with the top few
(``classification/prototype_bank.go``, ``newPrototypeBank`` and ``score``; defaults from
``config/prototype_scoring_config.go``, ``PrototypeScoringConfig.WithDefaults``: enabled, cluster
similarity 0.9, at most 8 prototypes, score = 0.75 × best + 0.25 × mean of the top 2). The
clustering and blending live in :mod:`policies.signals.kb` (``prototypes``, ``bank_scores``), which
knowledge bases share; this module only feeds them a kind's exemplars. An empty bank scores 0
(``prototypeBank.score`` on no prototypes).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..knowledge_bases import PrototypeScoring

if TYPE_CHECKING:
    import numpy as np
    import polars as pl


def scoring_policy(spec: dict[str, Any] | None) -> PrototypeScoring:
    """A rule's ``prototype_scoring`` with the router's defaults (``Resolve``: a written object is
    complete with built-in defaults; none means the family's, taken here as the built-in defaults)."""
    return PrototypeScoring.from_spec(spec)


def mean_of_all(scoring: PrototypeScoring) -> PrototypeScoring:
    """Options for ``aggregation_method: mean``: best weight 0 and every prototype in the support
    (``embeddingAggregationOptions``); the bank itself is still built with ``scoring``."""
    return replace(scoring, best_weight=0.0, top_m=0)


def bank_score(context: Any, queries: "pl.Series", exemplars: list[str], scoring: PrototypeScoring,
               options: PrototypeScoring | None = None, *, dedupe: bool = True) -> "np.ndarray":
    """Per query, its score against the bank built from ``exemplars`` (0 for an empty bank).

    ``dedupe``: drop repeated exemplars first, as banks keyed by text do (embedding, complexity);
    preference banks key exemplars by position and keep repeats."""
    import numpy as np

    from .kb import bank_scores, prototypes

    texts = list(dict.fromkeys(exemplars)) if dedupe else list(exemplars)
    if not texts:
        return np.zeros(len(queries))
    keep = prototypes(texts, context.embed(texts), scoring)
    sims = context.similarities(queries, [texts[i] for i in keep])
    return bank_scores(sims, options or scoring)
