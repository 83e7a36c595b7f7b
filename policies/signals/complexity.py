"""``complexity``: easy / medium / hard, by contrast of the prompt with hard and easy example prompts.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``ComplexityRule``) and its boundaries file
  (``ComplexityRule.EffectiveBoundaries``, ``ComplexityBoundaries.Verdict``): ``threshold`` is the
  symmetric shorthand (hard above +t, easy below −t; omitted and 0 are the same: 0), or an explicit
  pair names its direction (``hard_above``/``easy_below`` where higher is harder,
  ``hard_below``/``easy_above`` where lower is); hard is tested first, both strictly.
* ``classification/complexity_classifier.go`` family (``buildCandidateTasks``,
  ``classifyRuleWithEmbeddings``, ``scoreTextSignal``): the hard and the easy candidates (each
  deduplicated) form two prototype banks (:mod:`policies.signals.prototype_scores`, with the rule's
  ``prototype_scoring``); the margin is hard score − easy score (an empty bank scores 0); the
  match's confidence is |margin| for whichever level matched (``classifyRuleWithEmbeddings``,
  recorded by ``evaluateEmbeddingComplexityRules``).
* ``classification/`` (``evaluateModelComplexityRules``): ``method: model`` rules use a trained
  complexity classifier instead.

Left out, with reason: ``method: model`` rules need the router's trained complexity model (not
bundled): unavailable. ``composer`` gates (rule trees over other signals, ``applySignalComposers``)
need the other signals' results, which a leaf here does not see: unavailable in the simulation; the
solver gates the level with the composer's tree. Image candidates need a multimodal encoder and
image traffic: ignored (the router would take the image margin when it is larger). The family
prototype setting is not read (built-in defaults). Scores come from the studio's encoder. The solver
sees the level as a closed enumeration per signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..labels import COMPLEXITY_LEVELS
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, score_series

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class ComplexitySignal(Signal):
    """``threshold`` is the symmetric margin (hard above +t, easy below −t); omitted and 0 are the same:
    0 (``ComplexityRule.EffectiveBoundaries``, ``src/semantic-router/pkg/config/signal_config.go`` and
    its complexity boundaries file)."""

    collection = "complexity"
    leaf_type = "complexity"
    summary = "Easy / medium / hard by contrast with example prompts (leaves use name:level)."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("hard", "yaml"),
        EditorField("easy", "yaml"),
        EditorField("composer", "yaml"),
        EditorField("prototype_scoring", "yaml"),
    )
    neural = True
    unit_threshold = True
    threshold: float | None = None
    hard: dict[str, Any] | None = None
    easy: dict[str, Any] | None = None
    composer: dict[str, Any] | None = None
    prototype_scoring: dict[str, Any] | None = None
    hard_above: float | None = None
    easy_below: float | None = None
    hard_below: float | None = None
    easy_above: float | None = None
    method: str | None = None

    @classmethod
    def leaf_base(cls, name: str) -> str:
        return name.split(":", 1)[0]

    def referenced_names(self) -> list[str]:
        return [f"{self.name}:{level}" for level in ("easy", "medium", "hard")]

    def boundaries(self) -> tuple[float, float, bool]:
        """``(hard_at, easy_at, higher_is_harder)`` over the margin hard − easy, as the router resolves
        them: an explicit pair names its direction, else ±threshold (mixed or half pairs are the
        validator's errors; here the written halves win, the threshold fills the rest)."""
        if self.hard_below is not None or self.easy_above is not None:
            t = self.effective_threshold()
            return (self.hard_below if self.hard_below is not None else -t,
                    self.easy_above if self.easy_above is not None else t, False)
        t = self.effective_threshold()
        return (self.hard_above if self.hard_above is not None else t,
                self.easy_below if self.easy_below is not None else -t, True)

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        level = str(leaf.name).partition(":")[2]
        var = solver.pool.enum(f"complexity:{self.name}", f"complexity {self.name}", 3, COMPLEXITY_LEVELS, closed=True)
        gate = solver.compile_gate(f"complexity:{self.name}", self.composer) if self.composer else z3.BoolVal(True)
        return z3.And(solver.pool.is_(var, level), gate), []


class ComplexityExtractor(Extractor):
    leaf_type = "complexity"
    neural = True
    threshold_fields = frozenset({"threshold", "hard_above", "easy_below", "hard_below", "easy_above", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        from ..simulation.frame import PROMPT
        from .prototype_scores import bank_score, scoring_policy

        assert isinstance(signal, ComplexitySignal)
        if (signal.method or "").strip().lower() == "model":
            raise Unavailable("method: model uses the router's trained complexity classifier, which is not bundled")
        if signal.composer:
            raise Unavailable("complexity composers (gating rule trees) are not simulated")
        hard = list((signal.hard or {}).get("candidates") or [])
        easy = list((signal.easy or {}).get("candidates") or [])
        if not hard and not easy:
            raise Unavailable("complexity signal has no text candidates (image candidates need image traffic)")
        scoring = scoring_policy(signal.prototype_scoring)
        return {"hard": score_series(bank_score(context, frame[PROMPT], hard, scoring)),
                "easy": score_series(bank_score(context, frame[PROMPT], easy, scoring))}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ComplexitySignal)
        level = str(node.name).split(":", 1)[1] if ":" in str(node.name) else "hard"
        hard_at, easy_at, higher_is_harder = signal.boundaries()
        diff = col("hard") - col("easy")
        is_hard = diff > hard_at if higher_is_harder else diff < hard_at
        is_easy = (diff < easy_at if higher_is_harder else diff > easy_at) & ~is_hard
        fired = is_hard if level == "hard" else is_easy if level == "easy" else ~is_hard & ~is_easy
        return LeafExpr(fired, diff.abs())
