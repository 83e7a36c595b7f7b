"""Editor for ``authz`` signals: Role bindings: who the caller is."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class AuthzEditor(SignalEditor):
    leaf_type = "authz"
    fields = (
        F("role", "text"),
        F("subjects", "yaml"),
    )
