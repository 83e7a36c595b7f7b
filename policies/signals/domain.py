"""``domain``: the MMLU-Pro domain classifier's label falls in one of the signal's categories.

Router semantics (``evaluateDomainSignal``, ``matchDomainCategories``, ``domainRuleForLabel``,
``domainRulesAboveThreshold`` and ``buildCategoryNameMappings`` in
``src/semantic-router/pkg/classification/``; ``Category`` in ``pkg/config/signal_config.go``):
the classifier reads the current user text; a rule owns the labels it lists in
``mmlu_categories``, or, listing none, the label equal to its name (both compared lower case); a match
records the label's probability as confidence. With a confident (low-entropy) distribution the
rule owning the top-1 label fires when that probability reaches the global
``category_model.threshold``.

What we simulate: the rule owning the top-1 label fires, confidence = the top-1 probability; its
partition score is the summed probability of its labels. Our classifier is the bundled
``domain.onnx`` head over the 14 MMLU-Pro labels, a stand-in for the router's category model.
Left out, each needing what one kind's extractor does not see: ``category_model.threshold`` (a
global setting); the high-entropy case, where every rule with a label at or above that threshold
fires (``domainRulesAboveThreshold``, entropy levels from ``pkg/utils/entropy``); and a label no
rule lists counting as ``other`` (``domainRuleForLabel``), which needs the other domain rules of
the config. The solver sees the top-1 label as one closed enumeration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity, did_you_mean
from ..labels import MMLU_DOMAINS
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


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

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        var = pool.enum("domain", "MMLU domain", 3, MMLU_DOMAINS, closed=True)
        labels = [pool.is_(var, c) for c in self.categories() if c in MMLU_DOMAINS]
        return (z3.Or(labels) if labels else z3.BoolVal(False)), []


class DomainExtractor(Extractor):
    leaf_type = "domain"
    neural = True
    threshold_fields = frozenset({"description", "model_scores"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np

        from ..simulation.frame import PROMPT

        assert isinstance(signal, DomainSignal)
        labels, probs = context.head_probabilities("domain", frame[PROMPT])
        wanted = [i for i, label in enumerate(labels) if label in set(signal.categories())]
        top = probs.argmax(axis=1)
        return {"top": score_series(np.isin(top, wanted).astype(float)), "top_prob": score_series(probs.max(axis=1)),
                "score": score_series(probs[:, wanted].sum(axis=1) if wanted else np.zeros(len(top)))}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("top") > 0.5, col("top_prob"))
