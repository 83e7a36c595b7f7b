"""Value coercion for one source field, raising :class:`RowError` that names the field.

Readers never let a wrong-typed value reach Polars (which would fail a whole chunk); they coerce
each field here so a bad value rejects exactly one row and says which field and why.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import polars as pl

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
# Epoch values above this are milliseconds (year 5138 in seconds), below it seconds.
_EPOCH_MS_THRESHOLD = 1e11


class RowError(Exception):
    """One row cannot be imported: ``field`` is the source field, ``reason`` says why."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def type_name(value: Any) -> str:
    """JSON-ish name of a Python value's type, for messages users read."""
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "array", dict: "object"}.get(type(value), type(value).__name__)


def as_text(value: Any, field: str) -> str | None:
    """Text, or a number rendered as text (ids are often numeric); valid UTF-8 only."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RowError(field, f"text holds an unpaired surrogate U+{ord(value[exc.start]):04X}") from None
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise RowError(field, f"expected text, got {type_name(value)}")


def as_key(value: Any, field: str) -> str:
    """An object key or name used as a value (tag names, model columns): text, valid UTF-8."""
    return as_text(str(value), field) or ""


def as_tag_list(value: Any, field: str) -> list[str] | None:
    """Tags as text: a list as is, an object ``{k: v}`` as ``"k:v"`` items (OpenPipe, LiteLLM)."""
    if isinstance(value, dict):
        return [as_key(f"{k}:{v}", field) for k, v in value.items()]
    return as_text_list(as_list(value, field), field)


def as_int(value: Any, field: str) -> int | None:
    """Whole number from an int, an integral float or a numeric string."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RowError(field, "expected an integer, got boolean")
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise RowError(field, f"integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return as_int(int(value), field)
    if isinstance(value, str):
        try:
            return as_int(int(value.strip()), field)
        except ValueError:
            try:
                return as_int(float(value), field)
            except (ValueError, RowError):
                pass
    raise RowError(field, f"expected an integer, got {type_name(value)} {_short(value)}")


def as_float(value: Any, field: str) -> float | None:
    """Finite number from an int, a float or a numeric string."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RowError(field, "expected a number, got boolean")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise RowError(field, f"expected a number, got string {_short(value)}") from None
    else:
        raise RowError(field, f"expected a number, got {type_name(value)}")
    if not math.isfinite(result):
        raise RowError(field, f"expected a finite number, got {value!r}")
    return result


def as_bool(value: Any, field: str) -> bool | None:
    """Boolean from a bool, 0/1 or the usual spellings (CSV and SQL store them as text)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise RowError(field, f"expected a boolean, got {type_name(value)} {_short(value)}")


def as_datetime(value: Any, field: str) -> datetime | None:
    """UTC timestamp from epoch seconds/milliseconds, an ISO-8601 string or a datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return as_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")), field)
        except ValueError:
            try:
                return as_datetime(float(text), field)
            except (ValueError, RowError):
                raise RowError(field, f"expected an ISO-8601 timestamp or epoch seconds, got {_short(value)}") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) / 1000.0 if abs(value) > _EPOCH_MS_THRESHOLD else float(value)
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise RowError(field, f"timestamp {value!r} is out of range") from None
    raise RowError(field, f"expected a timestamp, got {type_name(value)}")


def as_text_list(value: Any, field: str) -> list[str] | None:
    """List of text items (tags, entity names)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise RowError(field, f"expected an array, got {type_name(value)}")
    return [as_text(item, f"{field}[{i}]") or "" for i, item in enumerate(value)]


def _json_container(value: Any, field: str, kind: type, noun: str) -> Any:
    """``value`` if it already is ``kind``; a string holding a JSON ``kind`` is parsed (bodies are often text)."""
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise RowError(field, f"expected a JSON {noun}, got text that is not JSON") from None
        if isinstance(parsed, kind):
            return parsed
    raise RowError(field, f"expected an {noun}, got {type_name(value)}")


def as_object(value: Any, field: str) -> dict[str, Any] | None:
    """A JSON object; a string holding a JSON object is parsed."""
    return _json_container(value, field, dict, "object")


def as_list(value: Any, field: str) -> list[Any] | None:
    """A JSON array; a string holding a JSON array is parsed."""
    return _json_container(value, field, list, "array")


def coerce_for(dtype: pl.DataType, value: Any, field: str) -> Any:
    """Coerce ``value`` for a scalar or text-list column of the normalised schema."""
    if dtype == pl.String:
        return as_text(value, field)
    if dtype.is_integer():
        return as_int(value, field)
    if dtype.is_float():
        return as_float(value, field)
    if dtype == pl.Boolean:
        return as_bool(value, field)
    if isinstance(dtype, pl.Datetime):
        return as_datetime(value, field)
    if dtype == pl.List(pl.String):
        return as_text_list(as_list(value, field), field)
    raise RowError(field, f"column of type {dtype} cannot be mapped from a plain value")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
