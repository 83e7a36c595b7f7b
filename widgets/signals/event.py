"""Editor for ``event`` signals: Platform events attached to the request."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class EventEditor(SignalEditor):
    leaf_type = "event"
    fields = (
        F("event_types", "lines"),
        F("severities", "lines"),
        F("action_codes", "lines"),
        F("temporal", "yaml"),
    )
