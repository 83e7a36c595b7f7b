"""Path-aware typed access to one source record.

Mappers read ``record.int("response.usage.prompt_tokens")`` instead of indexing dicts, so a value
of the wrong type rejects the row with the *source* path in ``field`` (what the user can fix).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Mapping

from . import coerce
from .coerce import RowError


def lookup(data: Any, path: str) -> Any:
    """Value at a dotted ``path``; in a list of ``{name, value}`` items a segment selects by name.

    The name rule lets a mapping say ``scores.correctness`` for Langfuse/Helicone score lists.
    """
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            current = current[index] if index < len(current) else None
        elif isinstance(current, list):
            current = next((item.get("value") for item in current
                            if isinstance(item, dict) and item.get("name") == part), None)
        else:
            return None
        if current is None:
            return None
    return current


class Fields:
    """One JSON object seen from a source path prefix (``request.``, ``response.`` ...)."""

    __slots__ = ("data", "prefix")

    def __init__(self, data: Mapping[str, Any], prefix: str = ""):
        self.data = data
        self.prefix = prefix

    def where(self, path: str) -> str:
        return f"{self.prefix}.{path}" if self.prefix else path

    def __contains__(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, path: str) -> Any:
        return lookup(self.data, path) if "." in path else self.data.get(path)

    # Each accessor returns plain values of the right type at once and only builds the source
    # path (string work) when coercion or an error needs it: this is the import's hot loop.
    def text(self, path: str) -> str | None:
        value = self.raw(path)
        if value is None or (type(value) is str and value.isascii()):
            return value
        return coerce.as_text(value, self.where(path))

    def int(self, path: str) -> int | None:
        value = self.raw(path)
        if value is None or (type(value) is int and -2**63 < value < 2**63):
            return value
        return coerce.as_int(value, self.where(path))

    def float(self, path: str) -> float | None:
        value = self.raw(path)
        if value is None:
            return None
        if type(value) is float and math.isfinite(value):
            return value
        return coerce.as_float(value, self.where(path))

    def bool(self, path: str) -> bool | None:
        value = self.raw(path)
        if value is None or type(value) is bool:
            return value
        return coerce.as_bool(value, self.where(path))

    def ts(self, path: str) -> datetime | None:
        value = self.raw(path)
        return None if value is None else coerce.as_datetime(value, self.where(path))

    def texts(self, path: str) -> list[str] | None:
        return coerce.as_text_list(coerce.as_list(self.raw(path), self.where(path)), self.where(path))

    def list(self, path: str) -> list[Any] | None:
        return coerce.as_list(self.raw(path), self.where(path))

    def obj(self, path: str) -> "Fields | None":
        """Nested object (or JSON text of one) as :class:`Fields`; None when absent."""
        value = coerce.as_object(self.raw(path), self.where(path))
        return None if value is None else Fields(value, self.where(path))

    def require_obj(self, path: str) -> "Fields":
        found = self.obj(path)
        if found is None:
            raise RowError(self.where(path), "required object is missing")
        return found

    def items(self, path: str) -> list["Fields"]:
        """A list of objects, each as :class:`Fields` with an indexed path."""
        values = self.list(path) or []
        out = []
        for i, item in enumerate(values):
            where = f"{self.where(path)}[{i}]"
            if not isinstance(item, dict):
                raise RowError(where, f"expected an object, got {coerce.type_name(item)}")
            out.append(Fields(item, where))
        return out
