"""``metadata``: a predicate on one request metadata value (``equals``, ``in`` or ``exists``).

A metadata signal reads ``metadata[key]`` from the request's metadata JSON (a top-level traffic
column of the same name, e.g. ``tenant``, when the JSON lacks the key); values compare as text.
The solver sees the value as an enumeration that may be absent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


def _as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class MetadataSignal(Signal):
    collection = "metadata"
    leaf_type = "metadata"
    summary = "A request metadata key and a predicate on its value."
    editor_fields = (
        EditorField("key", "text"),
        EditorField("predicate", "yaml"),
    )
    key: str | None = None
    predicate: dict[str, Any] | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        header = str(self.key or self.name)
        var = pool.enum(f"meta:{header}", header, 1, absent=True)
        predicate = self.predicate or {}
        if "equals" in predicate:
            return pool.is_(var, predicate["equals"]), []
        if "in" in predicate:
            return z3.Or([pool.is_(var, v) for v in predicate.get("in") or []]), []
        return pool.present(var), []


class MetadataExtractor(Extractor):
    leaf_type = "metadata"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        assert isinstance(signal, MetadataSignal)
        key = str(signal.key or "")
        value = frame["metadata"].str.json_path_match(f"$.{key}")
        if key in frame.columns and key not in ("metadata",):
            value = pl.DataFrame({"a": value, "b": frame[key].cast(pl.String)}).select(pl.coalesce("a", "b"))["a"]
        return {"value": value}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
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
