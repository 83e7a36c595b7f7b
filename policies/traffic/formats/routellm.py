"""RouteLLM custom-dataset CSV: ``prompt`` plus one True/False correctness column per model."""

from __future__ import annotations

from typing import Any, Mapping

from ..coerce import RowError, as_bool, as_key
from ..content import parse_messages
from ..fields import Fields
from ..rows import LineContext, Mapped, candidate_row, request_row
from .base import Format

NAME = "routellm"
_BOOLS = {"true", "false", "1", "0", "1.0", "0.0"}


def detect(record: Mapping[str, Any]) -> bool:
    """``prompt`` and at least two other columns, all holding booleans."""
    others = [v for k, v in record.items() if k != "prompt"]
    return "prompt" in record and len(others) >= 2 and all(
        isinstance(v, bool) or str(v).strip().lower() in _BOOLS for v in others)


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    prompt = rec.text("prompt")
    if prompt is None:
        raise RowError("prompt", "required field is missing")
    row = request_row(ctx, {}, parse_messages(prompt, "prompt"))
    candidates = []
    for model, value in rec.data.items():
        if model == "prompt":
            continue
        name = as_key(model, "columns")
        correct = as_bool(value, name)
        candidates.append(candidate_row(row["request_id"], name, NAME,
                                        quality=None if correct is None else float(correct)))
    return Mapped([row], candidates)


FORMAT = Format(NAME, "RouteLLM CSV (prompt + per-model correctness)", detect, map_record)
