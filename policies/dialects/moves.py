"""Top-level ``signals:`` / ``decisions:`` beside ``routing:``: moved under ``routing``, as vllm-sr's migration does.

vllm-sr 0.4.0 rejects these "deprecated config fields" in ``config validate`` and moves them in
``config migrate`` (``cli/config_migration.py``, ``_move_legacy_routing_blocks``: a block moves
only when ``routing`` has none of its own). We do the move on import and say so; a block that
cannot move because ``routing`` already has one is reported, never dropped without a word.
"""

from __future__ import annotations

from ..errors import Severity
from .base import Normalised

ROUTING_BLOCKS = ("signals", "decisions")


def move_routing_blocks(result: Normalised) -> Normalised:
    """Move each top-level routing block of ``result.data`` into ``routing`` (in place), with a located note."""
    data = result.data
    for key in ROUTING_BLOCKS:
        if key not in data:
            continue
        routing = data.get("routing", {})
        if not isinstance(routing, dict):
            return result  # the model's type check reports the bad routing block
        routing = data["routing"] = dict(routing)  # a copy: the parsed source document stays as read
        if key in routing:
            result.note("not-carried", f"top-level '{key}' was not imported: routing.{key} is already set",
                        (key,), Severity.WARNING, f"merge it into routing.{key} by hand")
            del data[key]
            continue
        routing[key] = data.pop(key)
        result.moves.append((("routing", key), (key,)))
        result.note("moved", f"top-level '{key}' moved to routing.{key} (vllm-sr 0.4.0 no longer accepts it "
                    "at the top level; 'vllm-sr config migrate' moves it the same way)", (key,))
    return result
