"""Editor for ``context`` signals: Prompt length band in tokens."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class ContextEditor(SignalEditor):
    leaf_type = "context"
    fields = (
        F("min_tokens", "tokens"),
        F("max_tokens", "tokens"),
    )
