"""Editor for ``structure`` signals: Structural features of the request (code blocks, lists...)."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class StructureEditor(SignalEditor):
    leaf_type = "structure"
    fields = (
        F("feature", "yaml"),
        F("predicate", "yaml"),
    )
