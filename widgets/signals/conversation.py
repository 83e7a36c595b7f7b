"""Editor for ``conversation`` signals: Conversation features (turn count, tools...)."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class ConversationEditor(SignalEditor):
    leaf_type = "conversation"
    fields = (
        F("feature", "yaml"),
        F("predicate", "yaml"),
    )
