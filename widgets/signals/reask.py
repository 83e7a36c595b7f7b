"""Editor for ``reask`` signals: The user asks again: similarity to recent turns."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class ReaskEditor(SignalEditor):
    leaf_type = "reask"
    fields = (
        F("threshold", "float"),
        F("lookback_turns", "int"),
    )
