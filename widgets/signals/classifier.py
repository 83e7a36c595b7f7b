"""Editor for ``classifier`` signals: A custom classifier; leaves name one of its labels."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class ClassifierEditor(SignalEditor):
    leaf_type = "classifier"
    fields = (
        F("type", "choice", options=("local", "llm", "sequence_classifier")),
        F("labels", "lines"),
        F("model", "text"),
        F("model_path", "text"),
        F("instructions", "text"),
    )
