"""Fixed-label detectors: ``fact_check``, ``user_feedback`` and ``modality``; a signal's name is a label.

Router semantics (``evaluateFactCheckSignal``, ``evaluateUserFeedbackSignal``,
``applyUserFeedbackSignalResult``, ``evaluateModalitySignal`` and ``classifyModality`` in
``src/semantic-router/pkg/classification/``; ``FactCheckRule``, ``UserFeedbackRule``
and ``ModalityRule`` in ``pkg/config/signal_config.go``): each detector reads the current user
text and emits one label; the signal whose name is that label fires (crisp: no confidence is
recorded for the match).

- ``fact_check`` always emits ``needs_fact_check`` or ``no_fact_check_needed``;
- ``user_feedback`` runs only when the conversation already has an assistant reply
  (``shouldEvaluateUserFeedbackSignal``); a ``no_feedback`` verdict or an abstention matches no rule;
- ``modality`` emits ``AR``, ``DIFFUSION`` or ``BOTH``.

A signal's name must be one of the detector's labels (:mod:`policies.labels`), or it never fires:
validation says so. The router runs models for these we do not ship: a team's own model
(``--model fact_check=DIR``, :mod:`policies.models_config`) computes them, its top label per text being
the detector's verdict; without one they are reported unavailable (a Router Replay log replays
production's verdicts). The solver
sees each detector's label as one closed enumeration; left out there: that user feedback needs a
prior assistant reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from ..errors import Finding, Severity, did_you_mean
from ..labels import FACT_CHECK_LABELS, MODALITY_LABELS, USER_FEEDBACK_LABELS
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class DetectorLabelSignal(Signal):
    """A signal named after one label of a fixed-label detector."""

    # The solver's decidability level of the detector's output (spec: crisp 1, classifier 3).
    solver_level: ClassVar[int] = 3
    offline_reason = ("the router runs its own classifier model for it, which is not shipped; a Router Replay "
                      "log with this signal family replays production's verdicts")

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        labels = self.name_options
        if self.name not in labels:
            yield Finding("unknown-label", Severity.ERROR, f"{self.collection} signal name '{self.name}' is not one of "
                          f"the detector's labels ({', '.join(labels)}), so it never fires", path=path + ("name",),
                          suggestion=did_you_mean(self.name, labels))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        var = pool.enum(self.leaf_type, self.leaf_type, self.solver_level, self.name_options, closed=True)
        return pool.is_(var, self.name), []


class FactCheckSignal(DetectorLabelSignal):
    collection = "fact_check"
    leaf_type = "fact_check"
    summary = "Fact-check classifier; the name is one of its labels."
    name_options = FACT_CHECK_LABELS
    neural = True
    required = ("description",)


class UserFeedbackSignal(DetectorLabelSignal):
    collection = "user_feedbacks"
    leaf_type = "user_feedback"
    summary = "User-feedback classifier; the name is one of its labels."
    name_options = USER_FEEDBACK_LABELS
    neural = True
    required = ("description",)


class ModalitySignal(DetectorLabelSignal):
    collection = "modality"
    leaf_type = "modality"
    summary = "Output modality classifier; the name is one of its labels."
    name_options = MODALITY_LABELS
    solver_level = 1


class DetectorLabelExtractor(Extractor):
    """The bound model's top label per current user text; the signal named after it fires (crisp)."""

    neural = True
    needs_reply = False  # user_feedback: only after an assistant reply (shouldEvaluateUserFeedbackSignal)

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np
        import polars as pl

        from ..simulation.frame import PROMPT

        try:
            labels, probs = context.head_probabilities(self.leaf_type, frame[PROMPT])
        except Unavailable as exc:
            raise Unavailable(f"{signal.offline_reason}; or {exc}") from exc
        verdict = probs.argmax(axis=1) if len(labels) else np.zeros(frame.height, dtype=int)
        hit = (np.asarray(labels, dtype=object)[verdict] == signal.name) if len(labels) else np.zeros(frame.height, bool)
        if self.needs_reply:
            replied = frame.select(pl.col("messages").list.eval(
                pl.element().struct.field("role") == "assistant").list.any().fill_null(False))
            hit &= replied.to_series().to_numpy()
        return {"hit": score_series(hit.astype(float))}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("hit") > 0.5, None)


class FactCheckExtractor(DetectorLabelExtractor):
    leaf_type = "fact_check"


class UserFeedbackExtractor(DetectorLabelExtractor):
    leaf_type = "user_feedback"
    needs_reply = True


class ModalityExtractor(DetectorLabelExtractor):
    leaf_type = "modality"
