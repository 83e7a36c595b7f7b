"""Type guards for layouts we reshape by hand: a wrong type becomes a located PolicyError, not a crash.

The canonical layout is type-checked by the pydantic model; the legacy and Kubernetes importers
read raw data before that, so every access that assumes a mapping, a list or a number goes
through these helpers.
"""

from __future__ import annotations

from typing import Any

from ..errors import PolicyError, SpecPath


def _refuse(what: str, value: Any, path: SpecPath) -> PolicyError:
    return PolicyError.single("type-error", f"expected {what}, found {type(value).__name__} ({value!r:.60})",
                              path=path)


def mapping(value: Any, path: SpecPath, optional: bool = True) -> dict[str, Any]:
    """``value`` if it is a mapping; ``{}`` when absent and optional."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise _refuse("a mapping", value, path)
    return value


def sequence(value: Any, path: SpecPath, optional: bool = True) -> list[Any]:
    """``value`` if it is a list; ``[]`` when absent and optional."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise _refuse("a list", value, path)
    return value


def mappings(value: Any, path: SpecPath) -> list[tuple[int, dict[str, Any]]]:
    """(index, item) for a list whose items must all be mappings."""
    return [(i, mapping(item, path + (i,), optional=False)) for i, item in enumerate(sequence(value, path))]


def number(value: Any, path: SpecPath) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse("a number", value, path)
    return float(value)


def text(value: Any, path: SpecPath) -> str:
    if not isinstance(value, str):
        raise _refuse("a string", value, path)
    return value
