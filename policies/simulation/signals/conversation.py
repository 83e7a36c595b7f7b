"""Conversation shape and input modality, read from the normalised messages and content flags.

``conversation`` features: ``source.type`` ``message`` (count of messages, optionally of one
``role``), ``tool_definition`` (declared tools), ``active_tool_loop`` (1 when the last message is
a tool result), ``image_content`` (1 when the request carries an image); ``feature.type``
``exists`` means count > 0, ``count`` applies the ``predicate``. ``tool_choice_required`` is not
in the normalised table, so it is :class:`Unavailable`. ``input_modality`` fires for ``text``
(a non-empty prompt), ``image`` and ``audio`` from the request's content flags; ``video`` is
not recorded by any reader: unavailable.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...model import RuleNode
from ...model.signals import ConversationSignal, InputModalitySignal, Signal
from ..frame import PROMPT
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, compare


class ConversationExtractor(Extractor):
    leaf_type = "conversation"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, ConversationSignal)
        source = (signal.feature or {}).get("source") or {}
        kind = source.get("type")
        roles = pl.col("messages").list.eval(pl.element().struct.field("role"))
        if kind == "message":
            role = source.get("role")
            count = (roles.list.eval((pl.element() == role).cast(pl.UInt32)).list.sum() if role
                     else pl.col("messages").list.len())
        elif kind == "tool_definition":
            count = pl.col("tool_names").list.len().fill_null(0)
        elif kind == "active_tool_loop":
            count = (roles.list.last() == "tool").cast(pl.UInt32)
        elif kind == "image_content":
            count = pl.col("has_image").cast(pl.UInt32)
        else:
            raise Unavailable(f"conversation source {kind!r} is not in the normalised traffic table")
        return {"count": frame.select(count.cast(pl.Float64).fill_null(0.0).alias("c"))["c"]}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ConversationSignal)
        if (signal.feature or {}).get("type") == "exists":
            return LeafExpr(col("count") > 0, None)
        return LeafExpr(compare(col("count"), signal.predicate).fill_null(False), None)


class InputModalityExtractor(Extractor):
    leaf_type = "input_modality"

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, InputModalitySignal)
        modality = (signal.modality or signal.name).lower()
        column = {"text": frame[PROMPT].str.len_chars() > 0, "image": frame["has_image"],
                  "audio": frame["has_audio"]}.get(modality)
        if column is None:
            raise Unavailable(f"input modality {modality!r} is not recorded in traffic")
        return {"present": column.fill_null(False).cast(pl.Float64)}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("present") > 0.5, None)
