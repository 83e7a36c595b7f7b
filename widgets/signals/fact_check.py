"""Editor for ``fact_check`` signals: Fact-check classifier; the name is one of its labels."""

from __future__ import annotations

from policies.labels import FACT_CHECK_LABELS

from .base import SignalEditor
from .registry import register


@register
class FactCheckEditor(SignalEditor):
    leaf_type = "fact_check"
    name_options = FACT_CHECK_LABELS
