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
* ``config/`` (``RouterConfig.PreferenceUsesPrototypes``): the contrastive classifier runs when any
  rule has examples; it then scores every rule with a non-empty bank, so a rule with only a
  description is scored on it.

Across signals (:meth:`PreferenceSignal.contest`): at most one preference signal fires per
request: the best-scoring among all scored rules, and only when it passes its own threshold (a
runner-up never fires, even above its threshold). The solver states the same rule over the
signals' scores.

Left out, with reason: a ``margin_threshold`` in the preference model's prototype scoring can veto
the best rule; the preference model's config is not read (its built-in defaults are used). With no
rule having examples the router asks an external LLM (or its decision task): unavailable offline,
and so is every preference signal then. Scores come from the studio's encoder, not the router's
embedding model.

The solver sees one score in [0, 1] per signal; with no threshold a signal's own rule is always true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, score_series
from .contest import Contest

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode
    from .settings import SignalSettings


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

    # whether the config's preference rules run the contrastive classifier (set by ``among``)
    _contrastive: bool | None = PrivateAttr(default=None)

    @classmethod
    def contest(cls, declared: list[Signal], settings: "SignalSettings") -> Contest | None:
        """Only the best-scoring rule (ties: the smaller name) may match (``ClassifyDetailed``, ``Classify``)."""
        return Contest(keep=1, entry="scored")

    def among(self, declared: list[Signal], settings: "SignalSettings") -> "PreferenceSignal":
        bound = self.model_copy()
        bound._contrastive = any(isinstance(s, PreferenceSignal) and s.examples for s in declared)
        return bound

    def contrastive(self) -> bool:
        """Whether the router scores this rule against its bank (else an LLM answers it)."""
        return bool(self.examples) if self._contrastive is None else self._contrastive and bool(self.exemplars())

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
        if not signal.contrastive():
            raise Unavailable("no preference signal of the config has examples, so the router asks an LLM")
        prompts = frame[PROMPT]
        scores = bank_score(context, prompts, signal.exemplars(), scoring_policy(None), dedupe=False)
        blank = prompts.str.strip_chars().eq("").to_numpy()
        return {"score": score_series(np.where(blank, np.nan, scores)).fill_nan(None)}

    def raw_key(self, signal: Signal) -> str:
        assert isinstance(signal, PreferenceSignal)
        return super().raw_key(signal) + ("" if signal.contrastive() else ":llm")

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, PreferenceSignal)
        fired = col("score") >= signal.effective_threshold() if signal.has_threshold() else col("score").is_not_null()
        return LeafExpr(fired, col("score"))
