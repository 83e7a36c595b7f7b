"""Structure signals: a count of regex matches, keyword occurrences or bytes in the prompt.

``feature.type``: ``count`` (the value), ``exists`` (value > 0) or ``density`` (value per 1,000
characters of prompt); ``predicate`` ``{gt|gte, lt|lte}`` bounds the value (``exists`` ignores it).
``feature.type: sequence`` / ``source.type: sequence`` (ordered keyword sequences) is not
simulated: :class:`Unavailable`.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from ...model import RuleNode
from ...model.signals import Signal, StructureSignal
from ..frame import PROMPT
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, compare


class StructureExtractor(Extractor):
    leaf_type = "structure"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, StructureSignal)
        feature = signal.feature or {}
        source = feature.get("source") or {}
        kind = source.get("type")
        flag = "" if source.get("case_sensitive") else "(?i)"
        text = frame[PROMPT]
        if feature.get("type") == "sequence" or kind == "sequence":
            raise Unavailable("ordered keyword sequences are not simulated")
        if kind == "regex":
            count = text.str.count_matches(flag + str(source.get("pattern") or "")).cast(pl.Float64)
        elif kind == "keyword_set":
            words = [re.escape(str(k)) for k in source.get("keywords") or []]
            count = (text.str.count_matches(flag + "|".join(words)).cast(pl.Float64) if words
                     else pl.Series([0.0] * len(text)))
        elif kind == "text_bytes":
            count = text.str.len_bytes().cast(pl.Float64)
        else:
            raise Unavailable(f"structure source type {kind!r} is not simulated")
        return {"count": count, "chars": text.str.len_chars().cast(pl.Float64)}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, StructureSignal)
        feature = signal.feature or {}
        kind = feature.get("type") or "count"
        if kind == "exists":
            return LeafExpr(col("count") > 0, None)
        value = col("count")
        if kind == "density":
            value = value * 1000.0 / pl.max_horizontal(col("chars"), pl.lit(1.0))
        return LeafExpr(compare(value, signal.predicate).fill_null(False), None)
