"""``preference``: the prompt scored against the signal's examples, as the router's contrastive
preference classifier does.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``PreferenceRule``): ``threshold`` is optional (Go zero value 0).
* ``classification/contrastive_preference_classifier.go`` (``collectExamples``, ``rebuildRuleBanks``,
  ``ClassifyDetailed``, ``Classify``): a rule's exemplars are its ``description`` (when set) then its
  ``examples``, each embedded and kept by position (repeats are not merged); they form a prototype
  bank scored as :mod:`policies.signals.prototype_scores` says. A blank prompt gives no result. The
  best-scoring rule (ties: the smaller name) is the preference; it is dropped when its threshold is
  above 0 and its score is below it, so an unset, 0 or negative threshold means "no threshold".
* ``classification/`` (``evaluatePreferenceSignal``, ``recordPreferenceSignalValues``): the match's
  confidence is that best score.

Left out, with reason: only the best-scoring preference rule can match in the router (and a
``margin_threshold`` in the preference model's prototype scoring can veto it); a leaf here sees one
signal, so each preference signal fires on its own threshold. Rules without examples are answered
by an external LLM in the router: unavailable offline. The prototype scoring of the
router's preference model config is not read (its built-in defaults are used). Scores come from the
studio's encoder, not the router's embedding model.

The solver sees one score in [0, 1] per signal; with no threshold the leaf is always true for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class PreferenceSignal(Signal):
    """``threshold`` is optional and applies only above 0 (``ContrastivePreferenceClassifier.Classify``
    in ``src/semantic-router/pkg/classification/contrastive_preference_classifier.go``): unset is 0."""

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

    def exemplars(self) -> list[str]:
        """The router's bank: the description, then the examples, blank ones skipped."""
        return [t for t in [self.description or "", *(self.examples or [])] if t.strip()]

    def has_threshold(self) -> bool:
        return self.effective_threshold() > 0

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        score = pool.number(f"score:preference:{self.name}", "real", "score", "preference score", 3, 0, 1)
        fired = pool.at_least(score, self.effective_threshold()) if self.has_threshold() else z3.BoolVal(True)
        return fired, [score]


class PreferenceExtractor(Extractor):
    leaf_type = "preference"
    neural = True

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import numpy as np

        from ..simulation.frame import PROMPT
        from .prototype_scores import bank_score, scoring_policy

        assert isinstance(signal, PreferenceSignal)
        if not signal.examples:
            raise Unavailable("preference signal has no examples; the router asks an LLM for it")
        prompts = frame[PROMPT]
        scores = bank_score(context, prompts, signal.exemplars(), scoring_policy(None), dedupe=False)
        blank = prompts.str.strip_chars().eq("").to_numpy()
        return {"score": score_series(np.where(blank, np.nan, scores)).fill_nan(None)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, PreferenceSignal)
        fired = col("score") >= signal.effective_threshold() if signal.has_threshold() else col("score").is_not_null()
        return LeafExpr(fired, col("score"))
