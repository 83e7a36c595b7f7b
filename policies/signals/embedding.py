"""``embedding``: similarity of the prompt to candidate phrases (minus the best negative candidate).

Router semantics (``EmbeddingRule`` in ``src/semantic-router/pkg/config/signal_config.go``; the
embedding classifier in ``src/semantic-router/pkg/classification/``): candidates are aggregated by
``aggregation_method`` (``max`` default, ``mean``; ``any`` = max, i.e. some candidate clears the
threshold); with ``negative_candidates`` the score is the positive bank minus the negative bank;
the rule fires at aggregated score ``>= threshold`` (required; Go zero value 0 when absent),
confidence = score. ``image_candidates`` need image traffic: ignored, noted.
The solver sees one real per signal in [-1, 1] ([-2, 2] with a negative bank).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, best_similarity, score_leaf, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


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

    def threshold_range(self) -> tuple[float, float] | None:
        limit = 2.0 if (self.negative_candidates or self.negative_image_candidates) else 1.0
        return (-limit, limit)

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        low, high = self.threshold_range() or (-1.0, 1.0)
        score = pool.number(f"emb:{self.name}", "real", "score", f"cosine to {self.name}", 2, low, high)
        return pool.at_least(score, self.effective_threshold()), [score]


class EmbeddingExtractor(Extractor):
    leaf_type = "embedding"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        from ..simulation.frame import PROMPT

        assert isinstance(signal, EmbeddingSignal)
        if not signal.candidates:
            raise Unavailable("embedding signal has no text candidates (image candidates need image traffic)")
        sims = context.similarities(frame[PROMPT], signal.candidates)
        method = (signal.aggregation_method or "max").lower()
        score = sims.mean(axis=1) if method == "mean" else sims.max(axis=1)
        if signal.negative_candidates:
            score = score - best_similarity(context.similarities(frame[PROMPT], signal.negative_candidates))
        return {"score": score_series(score)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return score_leaf(col, signal)
