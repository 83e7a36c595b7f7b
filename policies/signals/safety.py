"""``safety``: a content-safety classifier's unsafe probability, optionally narrowed to hazard categories.

Router semantics (``SafetyRule``, ``SafetyHazardRule``, ``EffectiveLabels`` and
``EffectiveUnsafeLabels`` in ``src/semantic-router/pkg/config/safety_signal.go``;
``evaluateSafetySignals``, ``selectedSafetyScore`` and ``selectedHazardScore`` in
``pkg/classification/classifier_signal_safety.go``): the risk is the summed probability of
``unsafe_labels`` (default ``[unsafe]``) over the classifier's ``labels`` (default
``[safe, unsafe]``) on the current user text; the rule fires at ``risk >= threshold``, and with a
``hazard`` block only if also the best score of its ``categories`` reaches ``hazard.threshold``.
Confidence = the risk. vllm-sr 0.4.0 requires ``threshold`` in (0, 1], unique trimmed labels
without ``:``, at least two labels, ``unsafe_labels`` a proper subset of ``labels`` and hazard
``categories`` among hazard ``labels`` (``cli/models_safety.py``): validation reports each.

The router runs a safety model (its built-in head or ``model``) we do not ship, so the signal has
no extractor and is reported unavailable (supply its scores as a traffic column to simulate it).
The solver sees one risk in [0, 1] per model and unsafe-label set, and one hazard score per
hazard model and category set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal

if TYPE_CHECKING:
    from ..model.rules import RuleNode

DEFAULT_LABELS = ("safe", "unsafe")
DEFAULT_UNSAFE = ("unsafe",)


def _labels_ok(labels: list[str]) -> bool:
    """Unique, trimmed, non-empty labels without ``:``."""
    return bool(labels) and len(set(labels)) == len(labels) and all(
        label and label == label.strip() and ":" not in label for label in labels)


class SafetySignal(Signal):
    collection = "safety"
    leaf_type = "safety"
    fold_names = True
    offline_reason = ("the router runs the configured safety model, which is not shipped; a Router Replay log with "
                      "safety signals replays production's verdicts")
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

    def effective_labels(self) -> list[str]:
        return [str(x) for x in self.labels or DEFAULT_LABELS]

    def effective_unsafe_labels(self) -> list[str]:
        return [str(x) for x in self.unsafe_labels or DEFAULT_UNSAFE]

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        if self.threshold is not None and self.threshold <= 0:
            yield Finding("safety-threshold", Severity.ERROR, f"safety signal '{self.name}' threshold must be above 0 "
                          "(vllm-sr 0.4.0 refuses it; at 0 every request is unsafe)", path=path + ("threshold",))
        labels, unsafe = self.effective_labels(), self.effective_unsafe_labels()
        if len(labels) < 2 or not _labels_ok(labels) or not _labels_ok(unsafe):
            yield Finding("safety-labels", Severity.ERROR, f"safety signal '{self.name}' needs at least two unique "
                          "trimmed labels without ':'", path=path + ("labels",))
        elif not set(unsafe) < set(labels):
            yield Finding("safety-labels", Severity.ERROR, f"safety signal '{self.name}' unsafe_labels must be some "
                          "but not all of its labels", path=path + ("unsafe_labels",))
        hazard = self.hazard or {}
        if hazard:
            categories, hazard_labels = list(hazard.get("categories") or []), list(hazard.get("labels") or [])
            if not categories or not set(categories) <= set(hazard_labels):
                yield Finding("safety-hazard", Severity.ERROR, f"safety signal '{self.name}' hazard categories must "
                              "be some of the hazard labels", path=path + ("hazard", "categories"))
            value = hazard.get("threshold")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
                yield Finding("safety-hazard", Severity.ERROR, f"safety signal '{self.name}' hazard threshold must be "
                              "in (0, 1]", path=path + ("hazard", "threshold"))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        model = self.model or "built-in"
        risk = pool.number(f"score:safety:{model}:{','.join(sorted(self.effective_unsafe_labels()))}", "real",
                           "score", f"safety risk ({model})", 3, 0, 1)
        atom = pool.at_least(risk, self.effective_threshold())
        hazard = self.hazard or {}
        if hazard:
            hazard_model = hazard.get("model") or "built-in"
            categories = ",".join(sorted(str(c) for c in hazard.get("categories") or []))
            score = pool.number(f"score:safety-hazard:{hazard_model}:{categories}", "real", "score",
                                f"hazard score ({hazard_model})", 3, 0, 1)
            value = hazard.get("threshold")
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            atom = z3.And(atom, pool.at_least(score, float(value) if numeric else 0.0))
        return atom, [risk]
