"""``metadata``: one comparator on one caller-supplied request metadata value.

Router semantics (``MetadataRule`` and ``MetadataPredicate`` in
``src/semantic-router/pkg/config/metadata_signal.go``; ``metadataRuleMatches`` and
``evaluateMetadataSignal`` in ``pkg/classification/classifier_signal_metadata.go``): the value is
``metadata[key]``, the key compared exactly; the comparators are tried in the order ``equals``
(present and equal), ``in`` (present and listed; an empty list counts as unset), ``exists``
(presence equals the flag); a predicate with none of them never fires. Values compare as text.
A match records confidence 1.0 (crisp). vllm-sr 0.4.0 requires exactly one comparator and a
non-empty, trimmed key (``MetadataPredicate.validate_comparator``, ``MetadataRule`` in its
``cli/models.py``): validation reports both.

Traffic: the request's ``metadata`` JSON, falling back to a top-level traffic column of the same
name (readers keep e.g. ``tenant`` there). The solver sees the value as an enumeration that may be
absent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

COMPARATORS = ("equals", "in", "exists")


def _as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class MetadataSignal(Signal):
    collection = "metadata"
    leaf_type = "metadata"
    fold_names = True
    summary = "A request metadata key and a predicate on its value."
    editor_fields = (
        EditorField("key", "text"),
        EditorField("predicate", "yaml"),
    )
    key: str | None = None
    predicate: dict[str, Any] | None = None

    def comparator(self) -> str | None:
        """The comparator the router applies: the first of equals / in (non-empty) / exists that is set."""
        predicate = self.predicate or {}
        if predicate.get("equals") is not None:
            return "equals"
        if predicate.get("in"):
            return "in"
        if predicate.get("exists") is not None:
            return "exists"
        return None

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        key = str(self.key or "")
        if not key.strip() or key != key.strip():
            yield Finding("metadata-key", Severity.ERROR, f"metadata signal '{self.name}' needs a non-empty key "
                          "without surrounding spaces (vllm-sr 0.4.0 refuses it)", path=path + ("key",))
        predicate = self.predicate or {}
        written = [c for c in COMPARATORS if (predicate.get(c) if c == "in" else predicate.get(c) is not None)]
        if len(written) != 1:
            yield Finding("metadata-predicate", Severity.ERROR,
                          f"metadata signal '{self.name}' needs exactly one of equals, in or exists (has "
                          f"{', '.join(written) or 'none'}; vllm-sr 0.4.0 refuses it, and the router "
                          f"{'never fires on it' if not written else 'applies only ' + written[0]})",
                          path=path + ("predicate",), suggestion="keep one comparator")

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        header = str(self.key or self.name)
        var = pool.enum(f"meta:{header}", header, 1, absent=True)
        predicate, comparator = self.predicate or {}, self.comparator()
        if comparator == "equals":
            return pool.is_(var, _as_text(predicate["equals"])), []
        if comparator == "in":
            return z3.Or([pool.is_(var, _as_text(v)) for v in predicate["in"]]), []
        if comparator == "exists":
            present = pool.present(var)
            return (present if predicate["exists"] else z3.Not(present)), []
        return z3.BoolVal(False), []


class MetadataExtractor(Extractor):
    leaf_type = "metadata"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        assert isinstance(signal, MetadataSignal)
        key = str(signal.key or "")
        value = frame["metadata"].str.json_path_match(f"$[{json.dumps(key)}]")  # the exact key, dots and all
        if key in frame.columns and key not in ("metadata",):
            value = pl.DataFrame({"a": value, "b": frame[key].cast(pl.String)}).select(pl.coalesce("a", "b"))["a"]
        return {"value": value}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, MetadataSignal)
        predicate, comparator, value = signal.predicate or {}, signal.comparator(), col("value")
        if comparator == "equals":
            fired = value == _as_text(predicate["equals"])
        elif comparator == "in":
            fired = value.is_in([_as_text(v) for v in predicate["in"]])
        elif comparator == "exists":
            fired = value.is_not_null() if predicate["exists"] else value.is_null()
        else:
            fired = pl.lit(False)
        return LeafExpr(fired.fill_null(False), None)
