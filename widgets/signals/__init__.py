"""Signal editors: one form class, configured by each engine kind's ``editor_fields``."""

from .base import SignalEditor
from .registry import editor_for

__all__ = ["SignalEditor", "editor_for"]
