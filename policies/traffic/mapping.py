"""User column mappings ``{normalised_column: source_field}``: validation and application.

For tabular sources (CSV, Parquet, SQL) the mapping *is* the reader; for log formats it overrides
or adds columns after the format's own mapping (e.g. ``{"quality": "scores.correctness"}`` picks
the Langfuse score the user trusts). Either way a bad mapping fails early, naming the field.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, Mapping

from ..errors import PolicyError
from .coerce import as_list, coerce_for
from .content import Content, parse_messages
from .fields import lookup
from .rows import Mapped, content_columns
from .schema import REQUESTS_SCHEMA

# Columns the import itself owns; a mapping cannot set them.
RESERVED = frozenset({"source_format", "source_file", "source_line"})
# Nested columns a plain source value cannot fill (Replay records fill them through their reader).
NESTED = frozenset({"prior_signals", "prior_signal_confidences"})


def validate_mapping(mapping: Mapping[str, str] | None, file: str,
                     source_columns: Iterable[str] | None = None) -> dict[str, str]:
    """Check names up front: unknown target columns and (when known) absent source columns."""
    if not mapping:
        return {}
    if not isinstance(mapping, Mapping):
        raise PolicyError.single("traffic.mapping_invalid", "mapping must be {normalised_column: source_column}",
                                 file=file, path=("mapping",))
    allowed = [c for c in REQUESTS_SCHEMA.names() if c not in RESERVED and c not in NESTED]
    available = None if source_columns is None else list(source_columns)
    for target, source in mapping.items():
        if target not in allowed:
            close = difflib.get_close_matches(str(target), allowed, n=1)
            raise PolicyError.single(
                "traffic.mapping_unknown_column", f"mapping names unknown normalised column {target!r}",
                file=file, path=("mapping", str(target)),
                suggestion=f"did you mean {close[0]!r}?" if close else "see policies.traffic.REQUESTS_SCHEMA")
        if not isinstance(source, str) or not source:
            raise PolicyError.single("traffic.mapping_invalid", f"mapping for {target!r} must be a column name",
                                     file=file, path=("mapping", target))
        if available is not None and source not in available:
            close = difflib.get_close_matches(source, available, n=1)
            raise PolicyError.single(
                "traffic.mapping_missing_source", f"mapping {target!r} -> {source!r}: no column {source!r} in the source",
                file=file, path=("mapping", target),
                suggestion=f"did you mean {close[0]!r}?" if close else f"columns are: {', '.join(available[:20])}")
    return dict(mapping)


def mapped_values(record: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Coerced values of the mapped columns; a wrong type raises RowError naming the source field."""
    out: dict[str, Any] = {}
    for target, source in mapping.items():
        value = record.get(source) if source in record else lookup(record, source)
        if target == "messages":
            # messages as an array, JSON text of one, or plain text meaning one user turn
            if isinstance(value, str) and value.lstrip().startswith("["):
                value = as_list(value, source)
            out[target] = parse_messages(value, source)
        else:
            out[target] = coerce_for(REQUESTS_SCHEMA[target], value, source)
    return out


def apply_overrides(mapped: Mapped, record: Mapping[str, Any], mapping: Mapping[str, str]) -> None:
    """Set mapped columns on a log format's rows (non-null mapped values win).

    A remapped ``request_id`` is carried over to the record's candidate rows so they still join.
    """
    values = mapped_values(record, mapping)
    content = values.pop("messages", None)
    renamed: dict[str, str] = {}
    for row in mapped.requests:
        if isinstance(content, Content):
            row.update(content_columns(content))
        if values.get("request_id") is not None:
            renamed[row["request_id"]] = values["request_id"]
        row.update((k, v) for k, v in values.items() if v is not None)
        if values.get("quality") is not None and "quality_source" not in mapping:
            row["quality_source"] = mapping["quality"]
    for cand in mapped.candidates:
        cand["request_id"] = renamed.get(cand["request_id"], cand["request_id"])
