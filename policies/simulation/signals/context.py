"""Context-length bands: ``min_tokens <= prompt_tokens <= max_tokens`` (inclusive; "32K" = 32000).

The raw column is the logged (or reader-estimated) prompt token count, so moving a band edge is
only an expression change. A request without a token count never fires.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...model import RuleNode
from ...model.signals import ContextSignal, Signal
from ...validation.signal_values import parse_token_count
from .base import ColumnRef, Extractor, LeafExpr, RawColumns


class ContextExtractor(Extractor):
    leaf_type = "context"
    threshold_fields = frozenset({"min_tokens", "max_tokens", "description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        return {"tokens": frame["prompt_tokens"].cast(pl.Float64)}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ContextSignal)
        low = parse_token_count(signal.min_tokens) or 0
        high = parse_token_count(signal.max_tokens)
        tokens = col("tokens")
        fired = tokens >= low
        if high is not None:
            fired = fired & (tokens <= high)
        return LeafExpr(fired.fill_null(False), None)
