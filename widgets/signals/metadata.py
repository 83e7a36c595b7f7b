"""Editor for ``metadata`` signals: A request metadata key and a predicate on its value."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class MetadataEditor(SignalEditor):
    leaf_type = "metadata"
    fields = (
        F("key", "text"),
        F("predicate", "yaml"),
    )
