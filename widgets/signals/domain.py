"""Editor for ``domain`` signals: MMLU-Pro domain classifier labels."""

from __future__ import annotations

from policies.labels import MMLU_DOMAINS

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class DomainEditor(SignalEditor):
    leaf_type = "domain"
    fields = (
        F("mmlu_categories", "choices", options=MMLU_DOMAINS),
        F("model_scores", "yaml"),
    )
