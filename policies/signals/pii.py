"""``pii``: personal data in the prompt, by entity type, outside the rule's allow-list.

The detector's max score per entity type (bundled pattern recogniser, :mod:`policies.inference.pii`);
the rule fires when a type outside ``pii_types_allowed`` reaches ``threshold`` (an entity counts at
confidence ``>= threshold``: ``collectPIIEntityTypes`` and ``findDeniedEntities`` in
``src/semantic-router/pkg/classification/classifier_pii_ops.go``; the allow-list compares upper
case), confidence = that score; ``include_history`` also reads the other messages. The solver sees
one score in [0, 1] per entity type, shared by every PII signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity, did_you_mean
from ..labels import PII_TYPES
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class PiiSignal(Signal):
    """An entity counts at confidence ``>= threshold`` (``collectPIIEntityTypes``,
    ``src/semantic-router/pkg/classification/classifier_pii_ops.go``); ``threshold`` is required by the
    schema, no default (Go zero value 0: ``PIIRule``, ``pkg/config/signal_config.go``)."""

    collection = "pii"
    leaf_type = "pii"
    summary = "PII detector; fires on PII types not in the allow-list."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("pii_types_allowed", "choices", label="PII types allowed", options=PII_TYPES),
        EditorField("include_history", "bool"),
    )
    neural = True
    unit_threshold = True
    threshold: float | None = None
    pii_types_allowed: list[str] | None = None
    include_history: bool | None = None

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        for j, kind in enumerate(self.pii_types_allowed or []):
            if kind not in PII_TYPES:
                yield Finding("unknown-pii-type", Severity.ERROR, f"PII type '{kind}' is unknown to the detector, so "
                              "the allow-list silently does not allow it", path=path + ("pii_types_allowed", j),
                              suggestion=did_you_mean(kind, PII_TYPES))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        allowed = set(self.pii_types_allowed or [])
        scores = [pool.number(f"pii:{e}", "real", "score", f"PII {e}", 3, 0, 1) for e in PII_TYPES if e not in allowed]
        if not scores:
            return z3.BoolVal(False), []
        threshold = self.effective_threshold()
        return z3.Or([pool.at_least(s, threshold) for s in scores]), scores


OTHER_PII = "OTHER"  # entity types the detector reports beyond the default label set


class PiiExtractor(Extractor):
    leaf_type = "pii"
    neural = True
    threshold_fields = frozenset({"threshold", "pii_types_allowed", "description"})

    @staticmethod
    def _texts(signal: Signal, frame: "pl.DataFrame") -> "pl.Series":
        from ..simulation.frame import PROMPT, USER_TEXT

        assert isinstance(signal, PiiSignal)
        return frame[USER_TEXT] if signal.include_history else frame[PROMPT]

    def prefetch(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> None:
        """Start the pattern pass now, so it runs beside the encoder pass of the signals before this one."""
        context.prefetch_pii(self._texts(signal, frame))

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np

        texts = self._texts(signal, frame)
        scores = context.pii_scores(texts)
        zeros = np.zeros(len(texts))
        out = {kind: score_series(scores.get(kind, zeros)) for kind in PII_TYPES}
        other = [values for kind, values in scores.items() if kind not in PII_TYPES]
        out[OTHER_PII] = score_series(np.max(np.vstack(other), axis=0) if other else zeros)
        return out

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        """Fires when any entity type outside the allow-list reaches the threshold."""
        import polars as pl

        assert isinstance(signal, PiiSignal)
        allowed = {t.upper() for t in signal.pii_types_allowed or []}
        worst = pl.max_horizontal([col(t) for t in (*PII_TYPES, OTHER_PII) if t not in allowed])
        return LeafExpr(worst >= signal.effective_threshold(), worst)
