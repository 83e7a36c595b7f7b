"""``embedding``: the prompt scored against candidate phrases (minus a negative bank), as the router's
embedding classifier scores it.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``EmbeddingRule``): ``threshold`` is a float32 with no default (Go
  zero value 0); ``aggregation_method`` ``max`` (default), ``mean`` or ``any``; ``query_modality``
  ``text`` unless written; ``EffectivePrototypeScoring``: the rule's ``prototype_scoring`` when
  written (with built-in defaults), a plain best-match bank when the rule has image candidates, else
  the embedding model's family setting.
* ``classification/embedding_classifier.go`` (``rebuildRulePrototypeBanks``, ``scoreRulesSlice``,
  ``embeddingAggregationOptions``, ``findAllMatchedRules``): candidates (deduplicated) form a
  prototype bank (:mod:`policies.signals.prototype_scores`); ``mean`` scores it with best weight 0
  over every prototype, the others with the policy's blend; with negative candidates the score is
  the positive bank's minus the negative bank's, both scored the same way. Every rule whose score is
  ``>=`` its threshold matches. A blank prompt is not scored (``evaluateEmbeddingSignal``).
* ``classification/`` (``recordEmbeddingResult``, ``embeddingSignalConfidence``): the match's
  confidence is the score clamped to [0, 1], or ``(score + 2) / 4`` clamped with a negative bank.

Across signals (:meth:`EmbeddingSignal.contest`): with ``embedding_config.top_k`` positive
(:mod:`policies.signals.settings`), only the ``top_k`` matches with the highest confidence fire
(ties: the smaller name; ``limitMatchedSignalsByTopK`` in
``classification/classifier_signal_output_policy.go``); the solver states the same cap.

Left out, with reason: ``enable_soft_matching`` (the best rule matching when none reaches its
threshold; :mod:`policies.signals.settings` says why). The family prototype setting (global
embedding config) is not read (built-in defaults).
Image candidates and image/audio queries need image traffic: a rule queried by image is
unavailable; image candidates are ignored. Scores come from the studio's encoder, not the router's
embedding model. The solver sees one real per signal in [-1, 1] ([-2, 2] with a negative bank).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, score_series
from .contest import Contest

if TYPE_CHECKING:
    import polars as pl

    from ..knowledge_bases import PrototypeScoring
    from ..model.rules import RuleNode
    from .settings import SignalSettings


class EmbeddingSignal(Signal):
    """Fires at aggregated similarity ``>= threshold``; ``threshold`` is required by the router's schema
    and has no default (Go zero value 0: ``EmbeddingRule.SimilarityThreshold`` in
    ``src/semantic-router/pkg/config/signal_config.go``)."""

    collection = "embeddings"
    leaf_type = "embedding"
    summary = "Similarity to candidate phrases (and away from negative ones)."
    editor_fields = (
        EditorField("candidates", "lines"),
        EditorField("threshold", "float", help="cosine similarity that counts as a match"),
        EditorField("negative_candidates", "lines"),
        EditorField("aggregation_method", "choice", options=("max", "mean", "any")),
        EditorField("image_candidates", "lines"),
        EditorField("negative_image_candidates", "lines"),
        EditorField("query_modality", "text"),
        EditorField("prototype_scoring", "yaml"),
    )
    neural = True
    threshold: float | None = None
    candidates: list[str] | None = None
    image_candidates: list[str] | None = None
    negative_candidates: list[str] | None = None
    negative_image_candidates: list[str] | None = None
    aggregation_method: str | None = None
    query_modality: str | None = None
    prototype_scoring: dict[str, Any] | None = None

    def effective_threshold(self) -> float:
        """The written threshold as the router's float32 (0 when unset)."""
        from ..knowledge_bases import as_float32

        return as_float32(self.threshold or 0.0)

    def scoring(self) -> tuple["PrototypeScoring", "PrototypeScoring"]:
        """``(bank policy, score options)`` (``EffectivePrototypeScoring``, ``embeddingAggregationOptions``)."""
        from dataclasses import replace

        from .prototype_scores import mean_of_all, scoring_policy

        policy = scoring_policy(self.prototype_scoring)
        if self.prototype_scoring is None and (self.image_candidates or self.negative_image_candidates):
            policy = replace(policy, enabled=False, best_weight=1.0, top_m=1)
        return policy, mean_of_all(policy) if (self.aggregation_method or "").lower() == "mean" else policy

    def threshold_range(self) -> tuple[float, float] | None:
        limit = 2.0 if (self.negative_candidates or self.negative_image_candidates) else 1.0
        return (-limit, limit)

    @classmethod
    def contest(cls, declared: list[Signal], settings: "SignalSettings") -> Contest | None:
        """At most ``top_k`` matches, the most confident (``limitMatchedSignalsByTopK``); none without a positive top_k."""
        return Contest(keep=settings.embedding_top_k) if settings.embedding_top_k > 0 else None

    def confidence(self, score: Any, clip: Callable[[Any], Any]) -> Any:
        """The match's confidence from its score (``embeddingSignalConfidence``), in any back-end's
        arithmetic; ``clip`` bounds a value to [0, 1]."""
        return clip((score + 2.0) / 4.0 if self.negative_candidates or self.negative_image_candidates else score)

    def solver_confidence(self, score: Any) -> Any:
        import z3

        return self.confidence(score, lambda v: z3.If(v < 0, z3.RealVal(0), z3.If(v > 1, z3.RealVal(1), v)))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        low, high = self.threshold_range() or (-1.0, 1.0)
        score = pool.number(f"emb:{self.name}", "real", "score", f"cosine to {self.name}", 2, low, high)
        return pool.at_least(score, self.effective_threshold()), [score]


class EmbeddingExtractor(Extractor):
    leaf_type = "embedding"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np

        from ..simulation.frame import PROMPT
        from .prototype_scores import bank_score

        assert isinstance(signal, EmbeddingSignal)
        modality = (signal.query_modality or "text").strip().lower() or "text"
        if modality != "text":
            raise Unavailable(f"embedding signal queries the request's {modality}, which the traffic does not carry")
        if not signal.candidates:
            raise Unavailable("embedding signal has no text candidates (image candidates need image traffic)")
        prompts = frame[PROMPT]
        policy, options = signal.scoring()
        score = bank_score(context, prompts, signal.candidates, policy, options)
        if signal.negative_candidates:
            score = score - bank_score(context, prompts, signal.negative_candidates, policy, options)
        blank = prompts.str.strip_chars().eq("").to_numpy()
        return {"score": score_series(np.where(blank, np.nan, score)).fill_nan(None)}

    def nearest(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> tuple[str, float] | None:
        """The candidate closest to the one request in ``frame`` and its cosine similarity: what an
        explanation names when the signal did not fire (None without text candidates)."""
        from ..simulation.frame import PROMPT

        assert isinstance(signal, EmbeddingSignal)
        candidates = list(dict.fromkeys(signal.candidates or []))
        if not candidates or not str(frame[PROMPT][0] or "").strip():
            return None
        sims = context.similarities(frame[PROMPT], candidates)[0]
        best = int(sims.argmax())
        return candidates[best], float(sims[best])

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, EmbeddingSignal)
        score = col("score")
        return LeafExpr(score >= signal.effective_threshold(), signal.confidence(score, lambda v: v.clip(0.0, 1.0)))
