"""Editor for ``pii`` signals: PII detector; fires on PII types not in the allow-list."""

from __future__ import annotations

from policies.labels import PII_TYPES

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class PiiEditor(SignalEditor):
    leaf_type = "pii"
    fields = (
        F("threshold", "float"),
        F("pii_types_allowed", "choices", label="PII types allowed", options=PII_TYPES),
        F("include_history", "bool"),
    )
