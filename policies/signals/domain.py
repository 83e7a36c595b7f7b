"""``domain``: the domain classifier's label falls to the signal, as the router maps labels to rules.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``Category``): ``mmlu_categories`` and ``description``.
* ``classification/`` (``buildCategoryNameMappings``, ``domainRuleForLabel``): each label belongs to
  the rule that lists it in ``mmlu_categories`` (compared lower case; a later rule listing the same
  label takes it), or, for a rule listing none, to the rule named after it when that name is one of
  the classifier's labels. A label no rule takes counts as ``other``: it belongs to the rule that
  owns ``other``, or to none.
* ``classification/`` (``matchDomainCategories``, ``domainRulesAboveThreshold``) with
  ``utils/entropy`` (``AnalyzeEntropy``): the classifier reads the current user text. When its
  distribution is confident (normalised entropy below 0.4: "very_low" or "low"), only the rule
  owning the top label fires, when the top probability reaches ``category_model.threshold``, with
  that probability as confidence; otherwise every rule owning a label whose probability reaches the
  threshold fires, with the highest such probability as confidence.
* ``config/canonical_defaults.go`` (``defaultClassifierModule``): ``category_model.threshold`` 0.5,
  read from ``global.model_catalog.modules.classifier.domain.threshold``
  (:mod:`policies.signals.settings`).

The label map needs the config's other domain rules: :meth:`DomainSignal.among` binds them (with the
threshold) before the simulation or the solver evaluates a leaf. A partition's score for a domain
member is the summed probability of its labels.

Left out, with reason: the threshold and the entropy test need the router's category model (or a
team's own, ``--model domain=DIR``), whose distributions are peaked. The bundled ``domain.onnx``
head (14 MMLU-Pro labels, trained on 140 questions) is a stand-in with near-uniform distributions
(on the 6,000 sample requests its top probability never reaches 0.5 and its normalised entropy is
0.98 at the median), so with it the rule owning the top label fires whatever its probability, as if
the router's model were confident; its confidence is still the top probability.

The solver sees the top label as one closed enumeration (the classifier always emits one), whether
the distribution is confident, and per label whether its probability reaches the threshold (the top
label's does whenever any does; above 0.5 at most one does; at or below 0 all do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from pydantic import PrivateAttr

from ..errors import Finding, Severity, did_you_mean
from ..labels import MMLU_DOMAINS
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, score_series
from .settings import CATEGORY_THRESHOLD_DEFAULT, SignalSettings

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from ..model.rules import RuleNode

CONFIDENT_BELOW = 0.4  # normalised entropy under which only the top label counts ("very_low", "low")


class DomainSignal(Signal):
    collection = "domains"
    leaf_type = "domain"
    summary = "MMLU-Pro domain classifier labels."
    editor_fields = (
        EditorField("mmlu_categories", "choices", options=MMLU_DOMAINS),
        EditorField("model_scores", "yaml"),
    )
    neural = True
    required = ("description",)
    mmlu_categories: list[str] | None = None
    model_scores: list[dict[str, Any]] | None = None

    def categories(self) -> list[str]:
        """The MMLU labels that make this signal fire (its own name when none are listed), lower case as the
        router keys them (``buildCategoryNameMappings``)."""
        return [str(c).lower() for c in self.mmlu_categories] if self.mmlu_categories else [self.name.lower()]

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        for j, category in enumerate(self.mmlu_categories or []):
            if str(category).lower() not in MMLU_DOMAINS:
                yield Finding("unknown-domain", Severity.ERROR, f"mmlu category '{category}' is not one of the 14 "
                              "MMLU-Pro labels", path=path + ("mmlu_categories", j),
                              suggestion=did_you_mean(category, MMLU_DOMAINS))
        if not self.mmlu_categories and self.name.lower() not in MMLU_DOMAINS:
            yield Finding("domain-no-category", Severity.WARNING, f"domain '{self.name}' lists no mmlu_categories "
                          "and its name is not an MMLU label, so the classifier never emits it", path=path,
                          suggestion="add mmlu_categories: [...]")

    # the config's domain rules as (name, listed labels or None) and the category threshold (``among``)
    _rules: tuple[tuple[str, tuple[str, ...] | None], ...] | None = PrivateAttr(default=None)
    _threshold: float = PrivateAttr(default=CATEGORY_THRESHOLD_DEFAULT)

    def among(self, declared: list[Signal], settings: SignalSettings) -> "DomainSignal":
        bound = self.model_copy()
        bound._rules = tuple((s.name, tuple(s.categories()) if s.mmlu_categories else None)
                             for s in declared if isinstance(s, DomainSignal))
        bound._threshold = settings.category_threshold
        return bound

    def category_threshold(self) -> float:
        """``category_model.threshold`` as the router's float32."""
        from ..knowledge_bases import as_float32

        return as_float32(self._threshold)

    def owned(self, labels: Iterable[str]) -> list[str]:
        """Which of the classifier's ``labels`` (lower case) fall to this rule (``domainRuleForLabel``)."""
        labels = list(labels)
        rules = self._rules if self._rules is not None else (
            (self.name, tuple(self.categories()) if self.mmlu_categories else None),)
        owner: dict[str, str] = {}
        for name, listed in rules:
            for label in listed if listed is not None else [name.lower()] if name.lower() in labels else []:
                owner[label] = name
        fallback = owner.get("other")
        return [label for label in labels if owner.get(label, fallback) == self.name]

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        first = "domain" not in pool.enums
        var = pool.enum("domain", "MMLU domain", 3, MMLU_DOMAINS, closed=True)
        certain = pool.boolean("domain:certain", "score", "domain classifier confident (normalised entropy < 0.4)", 3)
        reaches = {label: pool.boolean(f"domain:reaches:{label}", "score", f"P({label}) >= category threshold", 3)
                   for label in MMLU_DOMAINS}
        if first:
            _label_lemmas(pool, var, reaches, self.category_threshold())
        owned = self.owned(MMLU_DOMAINS)
        top = z3.Or([z3.And(pool.is_(var, label), reaches[label]) for label in owned]) if owned else z3.BoolVal(False)
        any_ = z3.Or([reaches[label] for label in owned]) if owned else z3.BoolVal(False)
        return z3.If(certain, top, any_), []


def _label_lemmas(pool: Any, var: str, reaches: dict[str, Any], threshold: float) -> None:
    """What probabilities force on the label atoms: one top label; it reaches the threshold whenever
    any label does; two labels cannot both reach it above 0.5, nor in an unconfident distribution
    when that is too peaked for it (:func:`two_reach_unconfident`); at or below 0 every label does."""
    import z3

    pool.exactly_one(var, list(MMLU_DOMAINS))
    top_reaches = z3.Or([z3.And(pool.is_(var, label), reaches[label]) for label in MMLU_DOMAINS])
    pool.background.extend(z3.Implies(r, top_reaches) for r in reaches.values())
    atoms = list(reaches.values())
    pairs = [z3.Not(z3.And(a, b)) for i, a in enumerate(atoms) for b in atoms[i + 1:]]
    if threshold > 0.5:
        pool.background.extend(pairs)
    elif not two_reach_unconfident(threshold, len(atoms)):
        certain = pool.bools["domain:certain"]
        pool.background.extend(z3.Or(certain, pair) for pair in pairs)
    if threshold <= 0:
        pool.background.extend(atoms)


def two_reach_unconfident(threshold: float, labels: int) -> bool:
    """Whether two of ``labels`` probabilities can both reach ``threshold`` in a distribution whose
    normalised entropy is at least 0.4. The most even such distribution puts exactly ``threshold``
    on both and spreads the rest evenly; any other has less entropy."""
    from math import log2

    if 2 * threshold > 1 or labels < 3:
        return 2 * threshold <= 1 and labels == 2
    if threshold <= 1 / labels:
        return True
    rest = 1 - 2 * threshold
    entropy = -2 * threshold * log2(threshold) - (rest * log2(rest / (labels - 2)) if rest > 0 else 0.0)
    return entropy / log2(labels) >= CONFIDENT_BELOW


def label_parts(labels: list[str], probs: "np.ndarray", owned: list[str], stand_in: bool = False) -> RawColumns:
    """A rule's raw columns from the classifier's probabilities: whether the top label is its own
    (``top``), the top probability, its best and summed label probability, whether the distribution
    is confident (``certain``: normalised entropy below 0.4, ``AnalyzeEntropy``), and whether they
    come from the bundled stand-in head (``stand_in``, see the module docstring)."""
    import numpy as np

    mine = np.isin(np.asarray(labels, dtype=object), owned) if len(labels) else np.zeros(0, bool)
    top = probs.argmax(axis=1)
    p = probs.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=1)
    normalised = entropy / np.log2(len(labels)) if len(labels) > 1 else np.zeros(len(p))
    empty = np.zeros(len(p))
    return {"top": score_series(mine[top].astype(float)), "top_prob": score_series(probs.max(axis=1)),
            "best": score_series(probs[:, mine].max(axis=1) if mine.any() else empty),
            "score": score_series(probs[:, mine].sum(axis=1) if mine.any() else empty),
            "certain": score_series((normalised < CONFIDENT_BELOW).astype(float)),
            "stand_in": score_series(np.full(len(p), float(stand_in)))}


class DomainExtractor(Extractor):
    leaf_type = "domain"
    neural = True
    threshold_fields = frozenset({"description", "model_scores"})

    def raw_key(self, signal: Signal) -> str:
        """The definition and the config's other domain rules (they decide which labels are its own)."""
        assert isinstance(signal, DomainSignal)
        return f"{super().raw_key(signal)}:{signal._rules!r}"

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        from ..simulation.frame import PROMPT

        assert isinstance(signal, DomainSignal)
        labels, probs = context.head_probabilities("domain", frame[PROMPT])
        stand_in = hasattr(context.head("domain"), "predict_embeddings")  # the bundled head, not a whole model
        return label_parts(list(labels), probs, signal.owned(labels), stand_in)

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, DomainSignal)
        threshold, stand_in = signal.category_threshold(), col("stand_in") > 0.5
        certain = (col("certain") > 0.5) | stand_in
        fired = pl.when(certain).then((col("top") > 0.5) & (stand_in | (col("top_prob") >= threshold))).otherwise(
            col("best") >= threshold)
        return LeafExpr(fired, pl.when(certain).then(col("top_prob")).otherwise(col("best")))
