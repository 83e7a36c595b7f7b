"""One editor per signal kind the engine models (``Signal.leaf_types()``, plugin kinds included).

Each kind declares its form (``Signal.editor_fields``); this module only makes the editor class for
it, once. A kind the engine does not model is an error naming the kind, never a generic editor.
"""

from __future__ import annotations

from functools import cache

from policies.api import Signal

from .base import SignalEditor


@cache
def editor_for(leaf_type: str) -> type[SignalEditor]:
    """The editor class for a leaf type; KeyError naming the kind when the engine does not model it."""
    kind = Signal.kind(leaf_type)
    if kind is None:
        raise KeyError(f"no signal kind {leaf_type!r} (kinds: {', '.join(sorted(Signal.leaf_types()))})")
    name = "".join(part.title() for part in leaf_type.split("_")) + "Editor"
    return type(name, (SignalEditor,), {"kind": kind, "__doc__": f"Editor for ``{leaf_type}`` signals: {kind.summary}"})
