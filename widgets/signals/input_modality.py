"""Editor for ``input_modality`` signals: Input modality of the request."""

from __future__ import annotations

from policies.labels import INPUT_MODALITIES

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class InputModalityEditor(SignalEditor):
    leaf_type = "input_modality"
    fields = (
        F("modality", "choice", options=INPUT_MODALITIES),
    )
