"""Editor for ``safety`` signals: Safety classifier with unsafe labels and a threshold."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class SafetyEditor(SignalEditor):
    leaf_type = "safety"
    fields = (
        F("model", "text"),
        F("labels", "lines"),
        F("unsafe_labels", "lines"),
        F("threshold", "float"),
        F("hazard", "yaml"),
    )
