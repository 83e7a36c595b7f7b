"""``classifier`` (``classifiers``): a custom label classifier; a decision leaf names ``<signal>:<label>``.

Router semantics (``evaluateGenericClassifierRule`` and ``classifierLabelKey`` in
``src/semantic-router/pkg/classification/classifier_signal_generic.go``; ``ClassifierSignalRule``
in ``pkg/config/classifier_signal.go``): the classifier scores every declared label on the current
user text; the match is ``<name>:<top label>`` (the highest score, a tie going to the label listed
first), or, when the model reports per-label thresholds,
every label whose score reaches its threshold. Each label's score is recorded as its confidence
and raw value (``classifier:<name>:<label>``). Scores outside [0, 1], a missing label or an error
match nothing.

Validation follows vllm-sr 0.4.0's ``ClassifierSignal``: at least two trimmed labels without
``:``, no label twice, ``type`` one of ``local`` / ``llm`` / ``sequence_classifier``, each type
refusing some fields, and an ``llm`` classifier needs ``instructions``. Newer routers add the
``systemone`` type; 0.4.0 refuses it, so we do too.

The classifier's model is the user's, not shipped, so the signal has no extractor and is reported
unavailable (supply its labels as a traffic column). Left out: per-label thresholds (a property of
the user's model). The solver sees the top label as a closed enumeration; a leaf ``predicate`` reads
that label's probability (probabilities sum to at most 1 and the top label's is the largest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity, did_you_mean
from ..model.editor_fields import EditorField
from ..model.signals import Signal

if TYPE_CHECKING:
    from ..model.rules import RuleNode

# Fields each classifier type refuses (vllm-sr 0.4.0 ClassifierSignal).
REFUSED_FIELDS = {"local": ("model", "instructions", "disable_rationale"),
                  "llm": ("model_path", "use_cpu"),
                  "sequence_classifier": ("model_path", "use_cpu", "instructions", "disable_rationale")}


class ClassifierSignal(Signal):
    collection = "classifiers"
    leaf_type = "classifier"
    fold_names = True
    offline_reason = ("the classifier is the user's own model or LLM, not shipped; a Router Replay log with "
                      "classifier signals replays production's verdicts (label leaves excepted)")
    summary = "A custom classifier; leaves name one of its labels."
    editor_fields = (
        EditorField("type", "choice", options=("local", "llm", "sequence_classifier")),
        EditorField("labels", "lines"),
        EditorField("model", "text"),
        EditorField("model_path", "text"),
        EditorField("instructions", "text"),
    )
    neural = True
    type: str | None = None
    model: str | None = None
    model_path: str | None = None
    labels: list[str] | None = None
    instructions: str | None = None

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        labels = [str(label) for label in self.labels or []]
        if len(labels) < 2 or any(":" in label or label != label.strip() or not label for label in labels):
            yield Finding("classifier-labels", Severity.ERROR, f"classifier '{self.name}' needs at least two trimmed "
                          "labels without ':'", path=path + ("labels",))
        if len(set(labels)) != len(labels):
            yield Finding("classifier-labels", Severity.ERROR, f"classifier '{self.name}' lists a label twice",
                          path=path + ("labels",))
        if self.type not in REFUSED_FIELDS:
            yield Finding("classifier-type", Severity.ERROR, f"classifier type must be one of "
                          f"{', '.join(REFUSED_FIELDS)}", path=path + ("type",),
                          suggestion=did_you_mean(str(self.type), REFUSED_FIELDS))
            return
        spec = self.to_spec()
        for field in REFUSED_FIELDS[self.type]:
            if spec.get(field):
                yield Finding("classifier-field", Severity.ERROR, f"{self.type} classifier '{self.name}' does not "
                              f"accept '{field}'", path=path + (field,), suggestion=f"remove {field}")
        if self.type == "llm" and not spec.get("instructions"):
            yield Finding("classifier-field", Severity.ERROR, f"llm classifier '{self.name}' requires instructions",
                          path=path)

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        labels = [str(x) for x in self.labels or []]
        name = f"classifier:{self.name}"
        top = pool.enum(name, f"classifier {self.name}", 3, labels, closed=True)
        if leaf.label not in labels:
            return z3.BoolVal(False), []
        if not leaf.predicate:
            return pool.is_(top, leaf.label), []
        probs = {lab: f"{name}:p:{lab}" for lab in labels}
        if probs[leaf.label] not in pool.numbers:  # first predicate on this classifier: the simplex
            for lab, p in probs.items():
                pool.number(p, "real", "score", f"P({self.name}={lab})", 3, 0, 1)
            terms = {lab: pool.term(p) for lab, p in probs.items()}
            pool.background.append(z3.Sum(list(terms.values())) <= 1)
            for lab, p in terms.items():
                others = [p >= q for other, q in terms.items() if other != lab]
                pool.background.append(z3.Implies(pool.is_(top, lab), z3.And(others)))
        return pool.interval(probs[leaf.label], leaf.predicate), [probs[leaf.label]]
