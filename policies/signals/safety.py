"""``safety``: a safety classifier's unsafe-label score.

The router runs a safety model we do not ship, so the signal has no extractor and is reported
unavailable (supply its scores as a traffic column to simulate it). The solver sees one score in
[0, 1] per safety model, shared by the signals that read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal

if TYPE_CHECKING:
    from ..model.rules import RuleNode


class SafetySignal(Signal):
    collection = "safety"
    leaf_type = "safety"
    summary = "Safety classifier with unsafe labels and a threshold."
    editor_fields = (
        EditorField("model", "text"),
        EditorField("labels", "lines"),
        EditorField("unsafe_labels", "lines"),
        EditorField("threshold", "float"),
        EditorField("hazard", "yaml"),
    )
    neural = True
    unit_threshold = True
    model: str | None = None
    labels: list[str] | None = None
    unsafe_labels: list[str] | None = None
    threshold: float | None = None
    hazard: dict[str, Any] | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        score = pool.number(f"score:safety:{self.model or 'default'}", "real", "score", "safety score", 3, 0, 1)
        return pool.at_least(score, self.effective_threshold()), [score]
