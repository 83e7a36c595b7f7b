"""``reask``: the user asks again: best similarity of the last user turn to the previous ones.

The previous ``lookback_turns`` user turns are compared with the last one; fires at
``>= threshold``. Defaults from ``ReaskRule.WithDefaults`` (see :class:`ReaskSignal`). The solver
sees one score in [0, 1] per signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, score_leaf, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


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

    def effective_lookback(self) -> int:
        return self.lookback_turns or self.lookback_default
    threshold: float | None = None
    lookback_turns: int | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        score = pool.number(f"score:reask:{self.name}", "real", "score", "reask score", 3, 0, 1)
        return pool.at_least(score, self.effective_threshold()), [score]


class ReaskExtractor(Extractor):
    leaf_type = "reask"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np
        import polars as pl

        assert isinstance(signal, ReaskSignal)
        lookback = signal.effective_lookback()
        turns = frame.select(pl.col("messages").list.eval(
            pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content")))["messages"]
        pairs = [(t[-1], t[:-1][-lookback:]) if t else ("", []) for t in turns.to_list()]
        texts = sorted({q for q, _ in pairs} | {x for _, before in pairs for x in before})
        vectors = dict(zip(texts, context.embed(texts))) if texts else {}
        score = np.array([max((float(vectors[q] @ vectors[x]) for x in before), default=-1.0)
                          for q, before in pairs])
        return {"score": score_series(score)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return score_leaf(col, signal)
