"""``event`` (``events``): platform events attached to the request (types, severities, codes, urgency).

Event metadata is not recorded by any traffic reader, so the signal has no extractor and is
reported unavailable. The solver sees one flag per signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal

if TYPE_CHECKING:
    from ..model.rules import RuleNode


class EventSignal(Signal):
    """Event metadata signal; ``temporal`` is a flag (vllm-sr 0.4.0 schema ``EventRule`` and the
    router's CRD ``../shared/data/vllm-sr-upstream/crds/vllm.ai_intelligentroutes.yaml``: boolean)."""

    collection = "events"
    leaf_type = "event"
    summary = "Platform events attached to the request."
    editor_fields = (
        EditorField("event_types", "lines"),
        EditorField("severities", "lines"),
        EditorField("action_codes", "lines"),
        EditorField("temporal", "bool"),
    )
    event_types: list[str] | None = None
    severities: list[str] | None = None
    action_codes: list[str] | None = None
    temporal: bool | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        return pool.boolean(f"event:{self.name}", "flag", f"event {self.name}"), []
