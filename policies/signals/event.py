"""``event`` (``events``): event types, severities, action codes and urgency named in the prompt.

Router semantics (``EventClassifier``, ``NewEventClassifier`` and ``evaluateRule`` in
``src/semantic-router/pkg/classification/event_classifier.go``; ``evaluateEventSignal`` in
``classifier_signal_event.go``; ``EventRule`` in ``pkg/config/signal_config.go``): a rule-based
matcher on the current user text, no model. Each configured criterion counts once:

- ``event_types`` / ``action_codes``: any of them as a whole word, case-insensitive (quoted,
  ``(?i)\\b...\\b`` with Go's ASCII word boundaries; blank entries skipped);
- ``severities``: any of critical / high / medium / low as a whole word (written values are
  trimmed and lower-cased; others are dropped and do not count as a criterion);
- ``temporal: true``: an urgency marker (urgent, immediate, asap, deadline, time-sensitive, now,
  critical window).

A rule fires when at least one of its criteria matches; confidence = 0.5 + 0.5 x matched /
configured. A rule with no criterion never fires (validation warns). Left out: the router samples
a long text down to a head/middle/tail window before matching (``textForRoutingSignal``); we match
the whole prompt. The solver sees each signal's confidence as a number in [0, 1] that fires from 0.5.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, per_distinct, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

SEVERITIES = ("critical", "high", "medium", "low")
TEMPORAL = re.compile(r"\b(urgent|immediate|asap|deadline|time.sensitive|now|critical.window)\b", re.I | re.A)
MATCHED_FROM = 0.5  # the lowest confidence of a match (one criterion of many)


def _words(values: list[str] | None) -> list[re.Pattern[str]]:
    """Whole-word, case-insensitive patterns for the non-blank values (Go ``\\b`` is ASCII)."""
    return [re.compile(rf"\b{re.escape(v.strip())}\b", re.I | re.A) for v in values or [] if v.strip()]


class EventSignal(Signal):
    """Event rule; ``temporal`` is a flag (``EventRule``; vllm-sr 0.4.0 schema and the router's CRD
    ``../shared/data/vllm-sr-upstream/crds/vllm.ai_intelligentroutes.yaml``: boolean)."""

    collection = "events"
    leaf_type = "event"
    summary = "Event types, severities, action codes and urgency in the prompt."
    editor_fields = (
        EditorField("event_types", "lines"),
        EditorField("severities", "lines"),
        EditorField("action_codes", "lines"),
        EditorField("temporal", "bool"),
    )
    event_types: list[str] | None = None
    severities: list[str] | None = None
    action_codes: list[str] | None = None
    temporal: bool | None = None

    def known_severities(self) -> list[str]:
        """The severities the router keeps: trimmed, lower-cased, known (``NewEventClassifier``)."""
        return [s.strip().lower() for s in self.severities or [] if s.strip().lower() in SEVERITIES]

    def criteria(self) -> list[list[re.Pattern[str]]]:
        """One list of patterns per configured criterion; a criterion matches when any pattern does."""
        out = [group for group in (_words(self.event_types), _words(self.known_severities()),
                                   _words(self.action_codes)) if group]
        return out + ([[TEMPORAL]] if self.temporal else [])

    def confidence(self, text: str) -> float:
        """0 when no criterion matches, else 0.5 + 0.5 x matched / configured (``evaluateRule``)."""
        criteria = self.criteria()
        matched = sum(any(p.search(text) for p in group) for group in criteria)
        return MATCHED_FROM + 0.5 * matched / len(criteria) if matched else 0.0

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        for j, severity in enumerate(self.severities or []):
            if severity.strip().lower() not in SEVERITIES:
                yield Finding("event-severity", Severity.WARNING, f"event signal '{self.name}' severity {severity!r} "
                              f"is not one of {', '.join(SEVERITIES)}; the router drops it",
                              path=path + ("severities", j))
        if not self.criteria():
            yield Finding("event-no-criteria", Severity.WARNING, f"event signal '{self.name}' has no event type, "
                          "known severity, action code or temporal flag, so it never fires", path=path)

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        conf = pool.number(f"event:{self.name}", "real", "score", f"event {self.name} confidence", 1, 0, 1)
        return pool.at_least(conf, MATCHED_FROM), [conf]


class EventExtractor(Extractor):
    leaf_type = "event"
    threshold_fields = frozenset({"description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        from ..simulation.frame import PROMPT

        assert isinstance(signal, EventSignal)
        return {"conf": score_series(per_distinct(frame[PROMPT], signal.confidence, pl.Float64).to_numpy())}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("conf") >= MATCHED_FROM, col("conf"))
