"""Editor for ``complexity`` signals: Easy / medium / hard by contrast with example prompts (leaves use name:level)."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class ComplexityEditor(SignalEditor):
    leaf_type = "complexity"
    fields = (
        F("threshold", "float"),
        F("hard", "yaml"),
        F("easy", "yaml"),
        F("composer", "yaml"),
        F("prototype_scoring", "yaml"),
    )
