"""Who sent the request: role bindings (leaf type ``authz``) and request metadata predicates.

Identity comes from the traffic row the way vLLM SR reads ``x-authz-user-id`` and
``x-authz-user-groups``: the user is ``user_id``; groups are the ``groups`` (or ``user_groups``)
list in the request ``metadata`` JSON. A metadata signal reads ``metadata[key]`` (a top-level
column of the same name, e.g. ``tenant``, when the JSON lacks the key); values compare as text.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...model import RuleNode
from ...model.signals import AuthzSignal, MetadataSignal, Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

_GROUPS = pl.List(pl.String)


def _json_list(metadata: pl.Series, key: str) -> pl.Series:
    raw = metadata.str.json_path_match(f"$.{key}")
    if raw.drop_nulls().str.starts_with("[").all():
        return raw.str.json_decode(_GROUPS)
    return raw.str.split(",").list.eval(pl.element().str.strip_chars())


def _as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class AuthzExtractor(Extractor):
    leaf_type = "authz"
    threshold_fields = frozenset({"description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, AuthzSignal)
        meta = frame["metadata"]
        groups = _json_list(meta, "groups")
        groups = pl.DataFrame({"g": groups, "u": _json_list(meta, "user_groups")}).select(
            pl.coalesce("g", "u"))["g"]
        users = {str(s.get("name")) for s in signal.subjects or [] if str(s.get("kind", "")).lower() == "user"}
        wanted = {str(s.get("name")) for s in signal.subjects or [] if str(s.get("kind", "")).lower() == "group"}
        df = pl.DataFrame({"user": frame["user_id"], "groups": groups})
        hit = df.select(
            (pl.col("user").is_in(list(users)).fill_null(False)
             | pl.col("groups").list.eval(pl.element().is_in(list(wanted))).list.any().fill_null(False))
            .cast(pl.Float64).alias("m"))["m"]
        return {"match": hit}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("match") > 0.5, None)


class MetadataExtractor(Extractor):
    leaf_type = "metadata"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, MetadataSignal)
        key = str(signal.key or "")
        value = frame["metadata"].str.json_path_match(f"$.{key}")
        if key in frame.columns and key not in ("metadata",):
            value = pl.DataFrame({"a": value, "b": frame[key].cast(pl.String)}).select(pl.coalesce("a", "b"))["a"]
        return {"value": value}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, MetadataSignal)
        predicate = signal.predicate or {}
        value = col("value")
        if "equals" in predicate:
            fired = value == _as_text(predicate["equals"])
        elif "in" in predicate:
            fired = value.is_in([_as_text(v) for v in predicate["in"] or []])
        else:
            exists = predicate.get("exists", True)
            fired = value.is_not_null() if exists else value.is_null()
        return LeafExpr(fired.fill_null(False), None)
