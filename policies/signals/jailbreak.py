"""``jailbreak``: the jailbreak detector's score of the prompt (or of every user turn).

``method: classifier`` (default) is the jailbreak head's probability of its jailbreak classes;
``contrastive``/``embedding`` the best similarity to ``jailbreak_patterns`` minus the best to
``benign_patterns``; ``hybrid`` the larger of both; ``include_history`` reads every user turn.
Fires at ``>= threshold`` (required by the router's schema; Go zero value 0: ``JailbreakRule`` in
``src/semantic-router/pkg/config/signal_config.go``); response-direction rules need responses and
are unavailable. The solver sees one score in [0, 1] per method, direction and history setting,
shared by the signals that read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, best_similarity, score_leaf, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class JailbreakSignal(Signal):
    """``threshold`` is required by the router's schema, no default (Go zero value 0: ``JailbreakRule``
    in ``src/semantic-router/pkg/config/signal_config.go``)."""

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

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        reads = f"{self.method or 'classifier'}:{self.direction or 'request'}:{bool(self.include_history)}"
        score = pool.number(f"score:jailbreak:{reads}", "real", "score", "jailbreak score", 3, 0, 1)
        return pool.at_least(score, self.effective_threshold()), [score]


class JailbreakExtractor(Extractor):
    leaf_type = "jailbreak"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np

        from ..simulation.frame import PROMPT, USER_TEXT

        assert isinstance(signal, JailbreakSignal)
        if (signal.direction or "request") != "request":
            raise Unavailable("response-direction jailbreak checks need responses")
        texts = frame[USER_TEXT] if signal.include_history else frame[PROMPT]
        method = (signal.method or "classifier").lower()
        scores = []
        if method in ("classifier", "hybrid"):
            labels, probs = context.head_probabilities("jailbreak", texts)
            positive = [i for i, label in enumerate(labels) if "jailbreak" in label.lower()
                        or "injection" in label.lower() or label.lower() in ("unsafe", "1")]
            if not positive:
                raise Unavailable(f"jailbreak classifier labels {labels} name no jailbreak class")
            scores.append(probs[:, positive].sum(axis=1))
        if method in ("contrastive", "embedding", "hybrid"):
            if not signal.jailbreak_patterns:
                if method != "hybrid":
                    raise Unavailable(f"jailbreak method {method!r} needs jailbreak_patterns")
            else:
                score = best_similarity(context.similarities(texts, signal.jailbreak_patterns))
                if signal.benign_patterns:
                    score = score - best_similarity(context.similarities(texts, signal.benign_patterns))
                scores.append(score)
        if not scores:
            raise Unavailable(f"jailbreak method {method!r} is not simulated")
        return {"score": score_series(np.max(np.vstack(scores), axis=0))}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return score_leaf(col, signal)
