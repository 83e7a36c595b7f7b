"""Editor for ``language`` signals: Detected prompt language."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class LanguageEditor(SignalEditor):
    leaf_type = "language"
    fields = (
        F("threshold", "float"),
    )
