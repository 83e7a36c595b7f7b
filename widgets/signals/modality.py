"""Editor for ``modality`` signals: Output modality classifier; the name is one of its labels."""

from __future__ import annotations

from policies.labels import MODALITY_LABELS

from .base import SignalEditor
from .registry import register


@register
class ModalityEditor(SignalEditor):
    leaf_type = "modality"
    name_options = MODALITY_LABELS
