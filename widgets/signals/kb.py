"""Editor for ``kb`` signals: Knowledge-base match."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class KbEditor(SignalEditor):
    leaf_type = "kb"
    fields = (
        F("kb", "text"),
        F("target", "yaml"),
        F("match", "text"),
    )
