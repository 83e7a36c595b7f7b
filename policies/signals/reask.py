"""``reask``: the user asks again: the current user turn is as similar as ``threshold`` to each of the
``lookback_turns`` user turns just before it.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``ReaskRule.WithDefaults``): ``threshold`` 0.8 and ``lookback_turns``
  1; a written 0 means unset for both.
* ``extproc`` (``extractSignalConversationHistory``): the current turn and the prior user turns, as
  :mod:`policies.signals.turns` reads them.
* ``classification/reask_classifier.go`` (``ClassifyContext``, ``computeSimilarities``,
  ``evaluateReaskStreak``): a blank current turn, or no prior turn, never fires. Prior turns are
  taken most recent first, trimmed, blank ones skipped; a prior turn equal to the current one scores
  1, any other its cosine similarity. The rule fires when the ``lookback_turns`` most recent prior
  turns all reach ``threshold`` (fewer prior turns: no fire); its confidence is the lowest of those
  similarities.
* ``classification/`` (``evaluateReaskSignal``, fed by ``evaluateBoundedReaskSignal`` in
  ``classifier_signal_dispatch.go``): that minimum is the
  signal's confidence (``SignalConfidences["reask:<name>"]``).

Across signals (:meth:`ReaskSignal.contest`): when several reask rules match, the router keeps only
those with the longest ``lookback_turns`` (``retainMaxLookbackReaskMatches`` in
``classification/reask_classifier.go``; equal lookbacks are all kept). The solver states the same
rule over the signals' scores.

Left out, with reason: similarities are the studio encoder's, not the router's embedding model's,
and very long turns are not cut to the router's head/middle/tail sample
(``representativeSignalText``). A negative ``lookback_turns`` (which the router reads as "any prior
turn") is treated as 1.

The solver sees one score in [0, 1] per signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, score_leaf, score_series
from .contest import Contest

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode
    from .settings import SignalSettings


class ReaskSignal(Signal):
    """Defaults from ``ReaskRule.WithDefaults`` (``src/semantic-router/pkg/config/signal_config.go``):
    threshold 0.8 and ``lookback_turns`` 1, a written 0 meaning unset for both."""

    collection = "reasks"
    leaf_type = "reask"
    summary = "The user asks again: similarity to recent turns."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("lookback_turns", "int"),
    )
    neural = True
    unit_threshold = True
    threshold_default = 0.8
    zero_threshold_is_unset = True
    lookback_default: ClassVar[int] = 1
    threshold: float | None = None
    lookback_turns: int | None = None

    def effective_lookback(self) -> int:
        return max(1, self.lookback_turns or self.lookback_default)

    @classmethod
    def contest(cls, declared: list[Signal], settings: "SignalSettings") -> Contest | None:
        """Only the matches with the longest lookback are kept (``retainMaxLookbackReaskMatches``)."""
        lookbacks = {s.name: float(s.effective_lookback()) for s in declared if isinstance(s, ReaskSignal)}
        return Contest(keep=1, fixed_rank=lookbacks, by_name=False) if len(set(lookbacks.values())) > 1 else None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        score = pool.number(f"score:reask:{self.name}", "real", "score", "reask score", 3, 0, 1)
        return pool.at_least(score, self.effective_threshold()), [score]


class ReaskExtractor(Extractor):
    leaf_type = "reask"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        """``score``: the lowest similarity of the current turn to the ``lookback_turns`` most recent prior
        turns (null when the current turn is blank or there are fewer prior turns)."""
        import numpy as np

        assert isinstance(signal, ReaskSignal)
        from .turns import current_turn, prior_user_turns

        lookback = signal.effective_lookback()
        pairs = [(current, prior[::-1][:lookback]) if current and len(prior) >= lookback else ("", [])
                 for current, prior in zip(current_turn(frame).to_list(), prior_user_turns(frame).to_list())]
        texts = sorted({t for current, prior in pairs if current for t in (current, *prior)})
        vectors = dict(zip(texts, context.embed(texts))) if texts else {}
        score = np.array([min(1.0 if p == current else float(vectors[current] @ vectors[p]) for p in prior)
                          if current else np.nan for current, prior in pairs], dtype=np.float64)
        return {"score": score_series(score).fill_nan(None)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return score_leaf(col, signal)
