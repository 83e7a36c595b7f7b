"""LMSYS-Chat-1M rows (HF parquet): one conversation per row, no cost, latency or quality.

The final assistant message is the served model's response; the conversation before it is the
request. ``language``, ``openai_moderation`` (any flagged) and ``redacted`` fill the flag columns.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..coerce import RowError
from ..content import message_text, parse_messages
from ..fields import Fields
from ..rows import LineContext, Mapped, request_row, served_candidate
from .base import Format

NAME = "lmsys"


def detect(record: Mapping[str, Any]) -> bool:
    return "conversation_id" in record and "conversation" in record


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    turns = rec.list("conversation")
    if not turns:
        raise RowError("conversation", "required field is missing or empty")
    text = None
    last = turns[-1]
    if isinstance(last, dict) and last.get("role") == "assistant" and len(turns) > 1:
        text = message_text(last, f"conversation[{len(turns) - 1}]")
        turns = turns[:-1]
    flagged = [item.bool("flagged") for item in rec.items("openai_moderation")]
    row = request_row(ctx, {
        "request_id": rec.text("conversation_id"),
        "turn_index": rec.int("turn"),
        "model_served": rec.text("model"),
        "language": rec.text("language"),
        "moderation_flagged": any(flagged) if flagged else None,
        "redacted": rec.bool("redacted"),
    }, parse_messages(turns, "conversation"), text)
    served = served_candidate(row, text)
    return Mapped([row], [served] if served else [])


FORMAT = Format(NAME, "LMSYS-Chat-1M conversations", detect, map_record)
