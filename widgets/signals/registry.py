"""The editor registry: one :class:`SignalEditor` per engine leaf type (``Signal.leaf_types()``).

There is no generic fallback: asking for a kind without an editor is an error naming the kind,
and a test checks that every kind the engine models has one.
"""

from __future__ import annotations

from .base import SignalEditor

EDITORS: dict[str, type[SignalEditor]] = {}


def register(cls: type[SignalEditor]) -> type[SignalEditor]:
    """Class decorator: register ``cls`` for its ``leaf_type`` (a duplicate is an import-time error)."""
    if not cls.leaf_type:
        raise TypeError(f"{cls.__name__} declares no leaf_type")
    if cls.leaf_type in EDITORS:
        raise TypeError(f"two editors for signal kind {cls.leaf_type!r}")
    EDITORS[cls.leaf_type] = cls
    return cls


def editor_for(leaf_type: str) -> type[SignalEditor]:
    """The editor class for a leaf type; KeyError naming the kind when there is none."""
    try:
        return EDITORS[leaf_type]
    except KeyError:
        raise KeyError(f"no editor registered for signal kind {leaf_type!r}") from None
