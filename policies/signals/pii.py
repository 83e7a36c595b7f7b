"""``pii``: personal data in the request, by entity type, outside the rule's allow-list.

Router semantics (``evaluatePIIRule`` in ``src/semantic-router/pkg/classification/classifier_signal_pii.go``;
``collectPIIRuleContents``, ``collectPIIEntityTypes`` and ``findDeniedEntities`` in
``classifier_pii_ops.go``; ``PIIRule`` in ``pkg/config/signal_config.go``):

- an entity counts when the detector's confidence is ``>= threshold``; ``threshold`` is required by
  the schema, no default (Go's zero value 0). At 0 any detected entity counts, so a type fires only
  when the detector found an entity of it (score > 0), never on a zero score;
- the rule fires when a counted entity type is not in ``pii_types_allowed`` (compared upper case);
- the texts are the current user text and, with ``include_history``, each other message scored on
  its own (see :mod:`.history`); an entity in any of them counts;
- the router records no confidence for a PII match (no ``SignalConfidences`` entry), so a match
  counts 1.0 wherever confidence is read (``projectionInputConfidenceValue`` in
  ``classifier_projection_inputs.go``): the leaf is crisp.

Our detector is the bundled pattern recogniser plus name head (:mod:`policies.inference.pii`), a
stand-in for the router's ModernBERT token classifier; its per-type score is the best entity
confidence. The router's classifier emits an entity only where the type wins a token's softmax; the
name head reports every type's best token probability, so a name type counts as found from 0.5
(where it surely wins; the head's documented operating point) and lower name scores read 0.

Left out: chunking of long texts (see :mod:`.history`) and inference errors
(``piiRuleHasInferenceError``). The solver sees one score in [0, 1] per entity type, shared by
every PII signal, and one more per type for the signals with ``include_history`` (never below it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity, did_you_mean
from ..labels import PII_TYPES
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, score_series
from .history import TEXT, scored_texts, solver_score, worst_per_request

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
            if kind.upper() not in PII_TYPES:  # the router compares the allow-list upper case
                yield Finding("unknown-pii-type", Severity.ERROR, f"PII type '{kind}' is unknown to the detector, so "
                              "the allow-list silently does not allow it", path=path + ("pii_types_allowed", j),
                              suggestion=did_you_mean(kind, PII_TYPES))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        allowed = {t.upper() for t in self.pii_types_allowed or []}
        scores = [solver_score(pool, f"pii:{e}", f"PII {e}", 0, 1, bool(self.include_history))
                  for e in PII_TYPES if e not in allowed]
        if not scores:
            return z3.BoolVal(False), []
        threshold = self.effective_threshold()
        # An entity type counts from the threshold, and only if the detector found one (score > 0).
        return z3.Or([pool.at_least(s, threshold) if threshold > 0 else pool.at_least(s, 0, strict=True)
                      for s in scores]), []


OTHER_PII = "OTHER"  # entity types the detector reports beyond the default label set
NAME_FOUND_FROM = 0.5  # a name-head probability from which its type wins the token: an entity is found


class PiiExtractor(Extractor):
    leaf_type = "pii"
    neural = True
    threshold_fields = frozenset({"threshold", "pii_types_allowed", "description"})

    @staticmethod
    def _texts(signal: Signal, frame: "pl.DataFrame") -> "pl.DataFrame":
        assert isinstance(signal, PiiSignal)
        return scored_texts(frame, bool(signal.include_history))

    def prefetch(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> None:
        """Start the pattern pass now, so it runs beside the encoder pass of the signals before this one."""
        context.prefetch_pii(self._texts(signal, frame)[TEXT])

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        """Per request and entity type, the best score over the texts the rule reads (0: none found)."""
        import numpy as np

        from ..inference.pii import NAME_TYPES

        texts = self._texts(signal, frame)
        scores = context.pii_scores(texts[TEXT]) if texts.height else {}
        zeros = np.zeros(texts.height)
        other = [values for kind, values in scores.items() if kind not in PII_TYPES]
        per_type = {kind: scores.get(kind, zeros) for kind in PII_TYPES}
        if getattr(context, "name_head", None) is not None:  # below the head's operating point: no entity
            for kind in NAME_TYPES:
                per_type[kind] = np.where(per_type[kind] >= NAME_FOUND_FROM, per_type[kind], 0.0)
        per_type[OTHER_PII] = np.max(np.vstack(other), axis=0) if other else zeros
        return {kind: score_series(worst_per_request(texts, values, frame.height, 0.0))
                for kind, values in per_type.items()}

    def evidence(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> list[dict[str, Any]]:
        """The entities that count in ``frame``'s requests (an explanation's one row): type, the words,
        score, and whether the allow-list allows the type; what a fired PII signal fired on."""
        from ..inference.pii import NAME_TYPES

        assert isinstance(signal, PiiSignal)
        allowed = {t.upper() for t in signal.pii_types_allowed or []}
        threshold = signal.effective_threshold()
        by_head = getattr(context, "name_head", None) is not None
        found = []
        for matches in context.pii_evidence(self._texts(signal, frame)[TEXT].to_list(), NAME_FOUND_FROM):
            for m in matches:
                if (by_head and m.type in NAME_TYPES and m.score < NAME_FOUND_FROM) or \
                        not (m.score >= threshold if threshold > 0 else m.score > 0):
                    continue
                found.append({"type": m.type, "text": m.text, "start": m.start, "end": m.end,
                              "score": float(m.score), "allowed": m.type.upper() in allowed})
        return found

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        """Fires when the detector found an entity type outside the allow-list at the threshold; crisp."""
        import polars as pl

        assert isinstance(signal, PiiSignal)
        allowed = {t.upper() for t in signal.pii_types_allowed or []}
        worst = pl.max_horizontal([col(t) for t in (*PII_TYPES, OTHER_PII) if t not in allowed])
        threshold = signal.effective_threshold()
        return LeafExpr(worst >= threshold if threshold > 0 else worst > 0, None)
