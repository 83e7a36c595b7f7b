"""Signals replayed from the log: what production's router reported, for kinds we cannot compute.

A vLLM SR Router Replay record lists, per signal family, the signals that fired
(``signals.<family>[]``) and their confidences (``signal_confidences{"<family>:<name>"}``); the
readers keep them as ``prior_signals`` and ``prior_signal_confidences``
(:mod:`policies.traffic.formats.replay`). When a leaf's kind cannot be computed here (no
extractor, or one that needs a model or service we do not ship: ``fact_check``,
``user_feedback``, ``safety``, a custom ``classifier``, an LLM-judged ``preference``...), and the
log carries that family, the simulation replays it: the leaf fires where production reported the
signal, with its logged confidence. Those leaves follow production's definition of the signal, not
an edit to it, so the run lists them apart (``replayed``) instead of as computed or unavailable.
A request whose record lacks the family never fires the leaf; a log without the family at all
leaves the leaf unavailable, as before. Classifier leaves that name a label are not replayed (a
record names the signal, not its label).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import polars as pl

from ..model.rules import RuleNode
from ..model.signals import Signal
from ..signals.base import ColumnRef, Extractor, LeafExpr, RawColumns
from ..traffic.schema import PRIOR_SIGNAL_TYPES

SIGNALS, CONFIDENCES = "prior_signals", "prior_signal_confidences"  # traffic columns (traffic.schema)


def logged_families(frame: pl.DataFrame) -> frozenset[str]:
    """Signal families some request of ``frame`` has a logged list for."""
    if SIGNALS not in frame.columns:
        return frozenset()
    present = frame.select(pl.col(SIGNALS).struct.field(f).is_not_null().any().alias(f) for f in PRIOR_SIGNAL_TYPES)
    return frozenset(f for f, seen in present.row(0, named=True).items() if seen)


class LoggedSignal(Extractor):
    """One family's replayed verdicts (not registered: kinds keep their own extractor)."""

    threshold_fields = frozenset({"description"})

    def __init__(self, family: str) -> None:
        self.family = family

    def raw_key(self, signal: Signal) -> str:
        text = json.dumps(["logged", self.family, signal.name])
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        key = f"{self.family}:{signal.name}"
        fired = pl.col(SIGNALS).struct.field(self.family).list.contains(signal.name).fill_null(False)
        conf = (pl.col(CONFIDENCES).list.eval(pl.element().filter(pl.element().struct.field("name") == key)
                                              .struct.field("value")).list.first())
        out = frame.select(fired.cast(pl.Float64).alias("fired"), conf.cast(pl.Float64).alias("conf"))
        return {"fired": out["fired"], "conf": out["conf"]}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        fired = col("fired") > 0.5
        return LeafExpr(fired, pl.when(fired).then(col("conf")))


def replayable(leaf_type: str, node: RuleNode, families: frozenset[str]) -> bool:
    """Whether the log can stand in for a leaf of ``leaf_type``."""
    return leaf_type in families and not (leaf_type == "classifier" and node.label)
