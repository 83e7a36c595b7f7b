"""``jailbreak``: the prompt-guard classifier's jailbreak risk, or a contrastive pattern score.

Router semantics (``evaluateJailbreakRule`` and ``findBestJailbreakMatch`` in
``src/semantic-router/pkg/classification/classifier_signal_jailbreak.go``; ``JailbreakRule`` in
``pkg/config/signal_config.go``):

- ``method: contrastive`` scores each text as best cosine similarity to ``jailbreak_patterns`` minus
  best similarity to ``benign_patterns``, an empty bank counting -1 (so no benign patterns adds 1);
  a text containing a jailbreak pattern (both lower-cased, whitespace collapsed) scores 1 outright
  (``AnalyzeMessages``, ``matchesExplicitJailbreak`` in ``contrastive_jailbreak_classifier.go``).
  It fires at ``score >= threshold``, a threshold ``<= 0`` meaning 0.10; confidence = the score.
- every other ``method`` (``classifier``, unset, anything else) is the classifier: the risk is the
  probability mass on the positive labels (``jailbreakRiskScore`` in
  ``classifier_jailbreak_risk.go``; ``prompt_guard.positive_labels``, default the one label
  ``jailbreak``), firing at ``risk >= threshold`` (no default: Go's zero value 0); confidence =
  the risk. Our classifier is the bundled ``jailbreak.onnx`` head (labels benign/jailbreak), a
  stand-in for the router's prompt-guard model.
- the texts are the current user text and, with ``include_history``, each other message (see
  :mod:`.history`); the rule reads the worst one. A request with no text never fires.
- ``direction: response`` observes the model's answer, which offline traffic does not have, so it
  is unavailable.

Left out: ``prompt_guard.positive_labels`` other than the default (a global setting; the bundled
head's positive label is ``jailbreak``); a text's risk of exactly 0 not firing at a threshold <= 0
(``bestScore <= 0``; a softmax probability is never exactly 0, so only empty texts, which never
fire here, are concerned); ``prompt_guard.on_error`` (inference errors); chunking (see
:mod:`.history`). The solver sees the classifier risk as one score in [0, 1] shared by the
classifier signals (one more, never below it, for those with ``include_history``) and each
contrastive signal's score in [-2, 2].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import (
    ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, best_similarity, per_distinct, score_leaf, score_series,
)
from .history import solver_score, worst_score

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from ..model.rules import RuleNode

CONTRASTIVE = "contrastive"
CONTRASTIVE_DEFAULT = 0.10  # evaluateContrastiveJailbreakRule: a threshold <= 0 means 0.10
POSITIVE_LABELS = ("jailbreak",)  # jailbreakPositiveLabel, when prompt_guard.positive_labels is unset
NOTHING_SCORED = -1.0  # a request with no text: below every score, as the router's MaxScore starts at -1


def normalize_pattern(text: str) -> str:
    """Lower-cased, whitespace collapsed: how explicit jailbreak patterns are compared
    (``normalizeContrastivePattern``)."""
    return " ".join(text.split()).lower()


class JailbreakSignal(Signal):
    """``threshold`` is required by the router's schema, no default (Go zero value 0: ``JailbreakRule``
    in ``src/semantic-router/pkg/config/signal_config.go``); a contrastive rule's threshold ``<= 0``
    is 0.10 (``evaluateContrastiveJailbreakRule``)."""

    collection = "jailbreak"
    leaf_type = "jailbreak"
    summary = "Jailbreak detector score and patterns."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("method", "text"),
        EditorField("include_history", "bool"),
        EditorField("direction", "text"),
        EditorField("jailbreak_patterns", "lines"),
        EditorField("benign_patterns", "lines"),
    )
    neural = True
    unit_threshold = True
    threshold: float | None = None
    method: str | None = None
    include_history: bool | None = None
    direction: str | None = None
    jailbreak_patterns: list[str] | None = None
    benign_patterns: list[str] | None = None

    @property
    def contrastive(self) -> bool:
        """Whether the rule scores patterns; any other method is the classifier (``evaluateJailbreakRule``)."""
        return self.method == CONTRASTIVE

    def effective_threshold(self) -> float:
        if self.contrastive and (self.threshold is None or self.threshold <= 0):
            return CONTRASTIVE_DEFAULT
        return super().effective_threshold()

    def threshold_range(self) -> tuple[float, float] | None:
        """A contrastive score is a difference of two cosine similarities, so it lies in [-2, 2]."""
        return (-2.0, 2.0) if self.contrastive else super().threshold_range()

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        if self.contrastive:
            score = pool.number(f"score:jailbreak:{CONTRASTIVE}:{self.name}", "real", "score",
                                f"contrastive jailbreak score of {self.name}", 3, -2, 2)
        else:
            score = solver_score(pool, f"score:jailbreak:classifier:{self.direction or 'request'}", "jailbreak score",
                                 0, 1, bool(self.include_history))
        return pool.at_least(score, self.effective_threshold()), [score]


def contrastive_scores(signal: JailbreakSignal, texts: "pl.Series", context: Any) -> "np.ndarray":
    """Per text: 1 when it contains a jailbreak pattern, else best jailbreak similarity minus best benign
    similarity (an empty bank counts -1)."""
    import numpy as np
    import polars as pl

    jailbreak, benign = signal.jailbreak_patterns or [], signal.benign_patterns or []
    patterns = [p for p in map(normalize_pattern, jailbreak) if p]
    explicit = per_distinct(texts, lambda t: any(p in normalize_pattern(t) for p in patterns), pl.Boolean).to_numpy()
    best_jailbreak = best_similarity(context.similarities(texts, jailbreak)) if jailbreak else -np.ones(len(texts))
    best_benign = best_similarity(context.similarities(texts, benign)) if benign else -np.ones(len(texts))
    return np.where(explicit, 1.0, best_jailbreak - best_benign)


def classifier_risk(texts: "pl.Series", context: Any) -> "np.ndarray":
    """Per text: the probability mass on the positive labels (``jailbreakRiskScore``)."""
    labels, probs = context.head_probabilities("jailbreak", texts)
    positive = [i for i, label in enumerate(labels) if label in POSITIVE_LABELS]
    if not positive:
        raise Unavailable(f"jailbreak classifier labels {labels} have none of the positive labels "
                          f"{list(POSITIVE_LABELS)}")
    return probs[:, positive].sum(axis=1)


class JailbreakExtractor(Extractor):
    leaf_type = "jailbreak"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        assert isinstance(signal, JailbreakSignal)
        if (signal.direction or "request") != "request":
            raise Unavailable("response-direction jailbreak checks need responses")

        def score(texts: "pl.Series") -> "np.ndarray":
            return contrastive_scores(signal, texts, context) if signal.contrastive else classifier_risk(texts, context)

        return {"score": score_series(worst_score(frame, bool(signal.include_history), score, NOTHING_SCORED))}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return score_leaf(col, signal)
