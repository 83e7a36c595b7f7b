"""Neural signals over :class:`..neural.NeuralContext` (shared embeddings, heads, PII detector).

Raw columns hold scores, never verdicts, so every threshold re-evaluates from them:

* ``embedding``: similarity of the prompt to ``candidates`` aggregated by ``aggregation_method``
  (``max`` default, ``mean``; ``any`` = max, i.e. some candidate clears the threshold), minus
  the best ``negative_candidates`` similarity when given. Fires at ``score >= threshold``
  (unset: the kind's default); confidence = score. ``image_candidates`` need image traffic:
  ignored, noted.
* ``domain``: the domain head's MMLU-Pro probabilities; the signal fires when the top-1 label
  is one of its ``mmlu_categories``, with the top-1 probability as confidence; its partition
  score is the summed probability of its categories.
* ``complexity``: best similarity to the ``hard`` and to the ``easy`` candidates; with
  d = hard − easy, level ``hard`` fires past the hard boundary and ``easy`` past the easy one
  (:meth:`ComplexitySignal.boundaries`: ±threshold or an explicit pair), ``medium`` otherwise;
  confidence = that side's similarity (1 − |d| for medium).
* ``jailbreak``: the jailbreak head's probability (``method: classifier``), or the best
  similarity to ``jailbreak_patterns`` minus the best to ``benign_patterns``
  (``contrastive``/``embedding``), or the larger of both (``hybrid``); ``include_history`` reads
  every user turn. Fires at ``>= threshold``.
* ``pii``: the detector's max score per entity type; fires when a type outside
  ``pii_types_allowed`` reaches ``threshold``, confidence = that score.
* ``preference``: best similarity of the prompt to ``examples`` (fires at threshold).
* ``reask``: best similarity of the last user turn to the previous ``lookback_turns`` user turns
  (fires at threshold).

Unset thresholds (and reask's lookback) resolve through the signal model, in one place, to the
router's defaults: :meth:`policies.model.signals.Signal.effective_threshold`.

``fact_check``, ``user_feedback``, ``kb``, ``event``, ``modality``, ``classifier`` and ``safety``
need models or services we do not ship, so they have no extractor and are reported unavailable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ...labels import PII_TYPES
from ...model import RuleNode
from ...model.signals import (ComplexitySignal, DomainSignal, EmbeddingSignal, JailbreakSignal, PiiSignal,
                              PreferenceSignal, ReaskSignal, Signal)
from ..frame import PROMPT, USER_TEXT
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable


OTHER_PII = "OTHER"  # entity types the detector reports beyond the default label set


def _series(values: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(values, dtype=np.float64))


def _best(sims: np.ndarray) -> np.ndarray:
    return sims.max(axis=1) if sims.shape[1] else np.full(sims.shape[0], -1.0)



def _score_leaf(col: ColumnRef, signal: Signal) -> LeafExpr:
    """A leaf that fires when the signal's score reaches its effective threshold."""
    return LeafExpr(col("score") >= signal.effective_threshold(), col("score"))


class EmbeddingExtractor(Extractor):
    leaf_type = "embedding"
    neural = True

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, EmbeddingSignal)
        if not signal.candidates:
            raise Unavailable("embedding signal has no text candidates (image candidates need image traffic)")
        sims = context.similarities(frame[PROMPT], signal.candidates)
        method = (signal.aggregation_method or "max").lower()
        score = sims.mean(axis=1) if method == "mean" else sims.max(axis=1)
        if signal.negative_candidates:
            score = score - _best(context.similarities(frame[PROMPT], signal.negative_candidates))
        return {"score": _series(score)}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, EmbeddingSignal)
        return _score_leaf(col, signal)


class DomainExtractor(Extractor):
    leaf_type = "domain"
    neural = True
    threshold_fields = frozenset({"description", "model_scores"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, DomainSignal)
        labels, probs = context.head_probabilities("domain", frame[PROMPT])
        wanted = [i for i, label in enumerate(labels) if label in set(signal.categories())]
        top = probs.argmax(axis=1)
        return {"top": _series(np.isin(top, wanted).astype(float)), "top_prob": _series(probs.max(axis=1)),
                "score": _series(probs[:, wanted].sum(axis=1) if wanted else np.zeros(len(top)))}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("top") > 0.5, col("top_prob"))


class ComplexityExtractor(Extractor):
    leaf_type = "complexity"
    neural = True
    threshold_fields = frozenset({"threshold", "hard_above", "easy_below", "hard_below", "easy_above", "description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, ComplexitySignal)
        if signal.composer:
            raise Unavailable("complexity composers (gating rule trees) are not simulated")
        hard = list((signal.hard or {}).get("candidates") or [])
        easy = list((signal.easy or {}).get("candidates") or [])
        if not hard or not easy:
            raise Unavailable("complexity signal needs text candidates for both hard and easy")
        return {"hard": _series(_best(context.similarities(frame[PROMPT], hard))),
                "easy": _series(_best(context.similarities(frame[PROMPT], easy)))}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ComplexitySignal)
        level = str(node.name).split(":", 1)[1] if ":" in str(node.name) else "hard"
        hard_at, easy_at, higher_is_harder = signal.boundaries()
        diff = col("hard") - col("easy")
        is_hard = diff > hard_at if higher_is_harder else diff < hard_at
        is_easy = (diff < easy_at if higher_is_harder else diff > easy_at) & ~is_hard
        if level == "hard":
            return LeafExpr(is_hard, col("hard"))
        if level == "easy":
            return LeafExpr(is_easy, col("easy"))
        return LeafExpr(~is_hard & ~is_easy, 1.0 - diff.abs())


class JailbreakExtractor(Extractor):
    leaf_type = "jailbreak"
    neural = True

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, JailbreakSignal)
        if (signal.direction or "request") != "request":
            raise Unavailable("response-direction jailbreak checks need responses")
        texts = frame[USER_TEXT] if signal.include_history else frame[PROMPT]
        method = (signal.method or "classifier").lower()
        scores = []
        if method in ("classifier", "hybrid"):
            labels, probs = context.head_probabilities("jailbreak", texts)
            positive = [i for i, label in enumerate(labels) if "jailbreak" in label.lower()
                        or "injection" in label.lower() or label.lower() in ("unsafe", "1")]
            if not positive:
                raise Unavailable(f"jailbreak classifier labels {labels} name no jailbreak class")
            scores.append(probs[:, positive].sum(axis=1))
        if method in ("contrastive", "embedding", "hybrid"):
            if not signal.jailbreak_patterns:
                if method != "hybrid":
                    raise Unavailable(f"jailbreak method {method!r} needs jailbreak_patterns")
            else:
                score = _best(context.similarities(texts, signal.jailbreak_patterns))
                if signal.benign_patterns:
                    score = score - _best(context.similarities(texts, signal.benign_patterns))
                scores.append(score)
        if not scores:
            raise Unavailable(f"jailbreak method {method!r} is not simulated")
        return {"score": _series(np.max(np.vstack(scores), axis=0))}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, JailbreakSignal)
        return _score_leaf(col, signal)


class PiiExtractor(Extractor):
    leaf_type = "pii"
    neural = True
    threshold_fields = frozenset({"threshold", "pii_types_allowed", "description"})

    @staticmethod
    def _texts(signal: Signal, frame: pl.DataFrame) -> pl.Series:
        assert isinstance(signal, PiiSignal)
        return frame[USER_TEXT] if signal.include_history else frame[PROMPT]

    def prefetch(self, signal: Signal, frame: pl.DataFrame, context: Any) -> None:
        """Start the pattern pass now, so it runs beside the encoder pass of the signals before this one."""
        context.prefetch_pii(self._texts(signal, frame))

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        texts = self._texts(signal, frame)
        scores = context.pii_scores(texts)
        zeros = np.zeros(len(texts))
        out = {kind: _series(scores.get(kind, zeros)) for kind in PII_TYPES}
        other = [values for kind, values in scores.items() if kind not in PII_TYPES]
        out[OTHER_PII] = _series(np.max(np.vstack(other), axis=0) if other else zeros)
        return out

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        """Fires when any entity type outside the allow-list reaches the threshold."""
        assert isinstance(signal, PiiSignal)
        allowed = {t.upper() for t in signal.pii_types_allowed or []}
        worst = pl.max_horizontal([col(t) for t in (*PII_TYPES, OTHER_PII) if t not in allowed])
        return LeafExpr(worst >= signal.effective_threshold(), worst)


class PreferenceExtractor(Extractor):
    leaf_type = "preference"
    neural = True

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, PreferenceSignal)
        if not signal.examples:
            raise Unavailable("preference signal has no examples; the router asks an LLM for it")
        return {"score": _series(_best(context.similarities(frame[PROMPT], signal.examples)))}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, PreferenceSignal)
        return _score_leaf(col, signal)


class ReaskExtractor(Extractor):
    leaf_type = "reask"
    neural = True

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, ReaskSignal)
        lookback = signal.effective_lookback()
        turns = frame.select(pl.col("messages").list.eval(
            pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content")))["messages"]
        pairs = [(t[-1], t[:-1][-lookback:]) if t else ("", []) for t in turns.to_list()]
        texts = sorted({q for q, _ in pairs} | {x for _, before in pairs for x in before})
        vectors = dict(zip(texts, context.embed(texts))) if texts else {}
        score = np.array([max((float(vectors[q] @ vectors[x]) for x in before), default=-1.0)
                          for q, before in pairs])
        return {"score": _series(score)}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ReaskSignal)
        return _score_leaf(col, signal)
