"""What every signal kind's simulation half implements: raw scores (expensive, cached) and leaves (cheap).

The split is what makes threshold sliders fast. ``raw`` computes every score a signal's
definition determines *except* its thresholds (keyword match scores, cosine similarities,
classifier probabilities) and is cached by :meth:`Extractor.raw_key`, a hash of the definition
without the fields in ``threshold_fields``. ``leaf`` turns those raw columns into the boolean
``fired`` and float ``conf`` expressions of one rule leaf, so a threshold change only rebuilds
expressions over columns that are already computed.

This module (and every kind module) imports no Polars, NumPy or z3 at import time: kinds are
loaded whenever a policy is parsed, and ``routing-studio validate`` must stay light. Heavy imports
live inside the functions that compute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from ..model.rules import RuleNode
    from ..model.signals import Signal

RawColumns = dict[str, "pl.Series"]
ColumnRef = Callable[[str], "pl.Expr"]  # part name -> expression of this signal's raw column


def raw_column(leaf_type: str, signal_name: str, part: str) -> str:
    """Name of a raw score column: ``raw::<type>::<signal>::<part>``."""
    from ..columns import SEP

    return SEP.join(("raw", leaf_type, signal_name, part))


@dataclass(frozen=True)


class LeafExpr:
    """A rule leaf over raw columns: ``fired`` (bool, never null) and ``conf`` (None = crisp)."""

    fired: "pl.Expr"
    conf: "pl.Expr | None"


class Unavailable(Exception):
    """The signal cannot be computed offline; the message says why (shown in the run summary)."""


class Extractor:
    """Computes one leaf type. Subclasses register themselves by ``leaf_type``."""

    leaf_type: ClassVar[str] = ""
    # Definition fields that only move a threshold: changing them never recomputes raw scores.
    threshold_fields: ClassVar[frozenset[str]] = frozenset({"threshold", "description"})
    # Whether raw scores come from a model (these are also cached on disk by the inference cache).
    neural: ClassVar[bool] = False

    _registry: ClassVar[dict[str, "Extractor"]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.leaf_type:
            if cls.leaf_type in Extractor._registry:
                raise TypeError(f"extractor for {cls.leaf_type!r} registered twice")
            Extractor._registry[cls.leaf_type] = cls()

    @classmethod
    def for_leaf_type(cls, leaf_type: str) -> "Extractor | None":
        from ..model.plugins import load_signal_kinds

        load_signal_kinds()
        return cls._registry.get(leaf_type)

    @classmethod
    def registered(cls) -> dict[str, "Extractor"]:
        from ..model.plugins import load_signal_kinds

        load_signal_kinds()
        return dict(cls._registry)

    def raw_key(self, signal: "Signal") -> str:
        """Hash of everything in the definition that changes raw scores (thresholds excluded)."""
        spec = {k: v for k, v in signal.to_spec().items() if k not in self.threshold_fields}
        text = json.dumps([self.leaf_type, spec], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def raw(self, signal: "Signal", frame: "pl.DataFrame", context: Any) -> RawColumns:
        """Raw score columns for every request of ``frame`` (see :mod:`policies.simulation.frame`);
        keys are part names."""
        raise NotImplementedError

    def numeric_thresholds(self, signal: "Signal") -> dict[str, float]:
        """The numeric cut-offs ``leaf`` compares raw scores with, as in effect (defaults applied),
        by field name: what an explanation may move to flip a request."""
        out = {f: float(v) for f in self.threshold_fields
               if isinstance(v := getattr(signal, f, None), (int, float)) and not isinstance(v, bool)}
        if "threshold" in self.threshold_fields and "threshold" in type(signal).model_fields:
            out["threshold"] = signal.effective_threshold()
        return out

    def leaf(self, signal: "Signal", node: "RuleNode", col: ColumnRef) -> LeafExpr:
        """``fired``/``conf`` of the rule leaf ``node`` (its name may carry a level, e.g. ``x:hard``)."""
        raise NotImplementedError


def predicate_bounds(predicate: dict[str, Any] | None) -> dict[str, float]:
    """The numeric ``{gt, gte, lt, lte}`` bounds of a router ``NumericPredicate`` (other keys ignored)."""
    return {k: float(v) for k, v in (predicate or {}).items()
            if k in ("gt", "gte", "lt", "lte") and isinstance(v, (int, float)) and not isinstance(v, bool)}


def predicate_conflicts(predicate: dict[str, Any] | None) -> list[str]:
    """The bounds of a ``NumericPredicate`` the router refuses together (``gt`` with ``gte``, ``lt``
    with ``lte``: ``validateStructurePredicateBounds``/``validateConversationPredicate`` in
    ``src/semantic-router/pkg/config/validator_structure.go``, ``validator_conversation.go``)."""
    bounds = predicate_bounds(predicate)
    return [f"{a} and {b}" for a, b in (("gt", "gte"), ("lt", "lte")) if a in bounds and b in bounds]


def compare(value: "pl.Expr", predicate: dict[str, Any] | None) -> "pl.Expr":
    """``{gt, gte, lt, lte}`` predicate as an expression (all given bounds must hold; none = > 0)."""
    import polars as pl

    ops = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
    parts = [ops[k](v) for k, v in predicate_bounds(predicate).items()]
    if not parts:
        return value > 0
    return pl.all_horizontal(parts)


def per_distinct(texts: "pl.Series", fn: Callable[[str], Any], dtype: Any) -> "pl.Series":
    """Apply a Python scorer once per distinct text and broadcast back (logs repeat prompts a lot)."""
    import polars as pl

    uniq = texts.unique(maintain_order=True)
    values = pl.Series(uniq.name, [fn(t) for t in uniq.to_list()], dtype=dtype)
    lookup = pl.DataFrame({"_t": uniq, "_v": values})
    return pl.DataFrame({"_t": texts}).join(lookup, on="_t", how="left", maintain_order="left")["_v"]


def score_series(values: "np.ndarray") -> "pl.Series":
    """A float64 raw column from model scores."""
    import numpy as np
    import polars as pl

    return pl.Series(np.asarray(values, dtype=np.float64))


def best_similarity(sims: "np.ndarray") -> "np.ndarray":
    """Per row, the best similarity to any candidate (-1 when there are none)."""
    import numpy as np

    return sims.max(axis=1) if sims.shape[1] else np.full(sims.shape[0], -1.0)


def score_leaf(col: ColumnRef, signal: "Signal") -> LeafExpr:
    """A leaf that fires when the signal's ``score`` part reaches its effective threshold."""
    return LeafExpr(col("score") >= signal.effective_threshold(), col("score"))
