"""Editor for ``user_feedback`` signals: User-feedback classifier; the name is one of its labels."""

from __future__ import annotations

from policies.labels import USER_FEEDBACK_LABELS

from .base import SignalEditor
from .registry import register


@register
class UserFeedbackEditor(SignalEditor):
    leaf_type = "user_feedback"
    name_options = USER_FEEDBACK_LABELS
