"""Editor for ``preference`` signals: Preference examples matched by an encoder."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class PreferenceEditor(SignalEditor):
    leaf_type = "preference"
    fields = (
        F("examples", "lines"),
        F("threshold", "float"),
    )
