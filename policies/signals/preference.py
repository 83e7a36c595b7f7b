"""``preference``: best similarity of the prompt to the signal's ``examples``.

Fires at ``>= threshold`` (see :class:`PreferenceSignal` for its default); without examples the
router asks an LLM, which is unavailable offline. The solver sees one score in [0, 1] per signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, best_similarity, score_leaf, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class PreferenceSignal(Signal):
    """``threshold`` is optional in the router's schema; its preference classifier's own fallback was not
    found in the router's source, so an unset threshold is 0.5 here: an assumption, but one value for
    the simulation, the solver and explanations alike."""

    threshold_default = 0.5
    collection = "preferences"
    leaf_type = "preference"
    summary = "Preference examples matched by an encoder."
    editor_fields = (
        EditorField("examples", "lines"),
        EditorField("threshold", "float"),
    )
    neural = True
    unit_threshold = True
    required = ("description",)
    examples: list[str] | None = None
    threshold: float | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        score = pool.number(f"score:preference:{self.name}", "real", "score", "preference score", 3, 0, 1)
        return pool.at_least(score, self.effective_threshold()), [score]


class PreferenceExtractor(Extractor):
    leaf_type = "preference"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        from ..simulation.frame import PROMPT

        assert isinstance(signal, PreferenceSignal)
        if not signal.examples:
            raise Unavailable("preference signal has no examples; the router asks an LLM for it")
        return {"score": score_series(best_similarity(context.similarities(frame[PROMPT], signal.examples)))}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return score_leaf(col, signal)
