"""Editor for ``jailbreak`` signals: Jailbreak detector score and patterns."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class JailbreakEditor(SignalEditor):
    leaf_type = "jailbreak"
    fields = (
        F("threshold", "float"),
        F("method", "text"),
        F("include_history", "bool"),
        F("direction", "text"),
        F("jailbreak_patterns", "lines"),
        F("benign_patterns", "lines"),
    )
