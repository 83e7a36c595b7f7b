"""Chatbot Arena pairwise preferences (the 55k set RouteLLM trains on): two candidate rows each.

The winner's quality is 1.0, the loser's 0.0 and a tie gives both 0.5 (``source = arena``): a
pairwise outcome, which the simulator can turn into per-domain strengths. Prompts and responses
are stored as JSON arrays of turns in the public files; plain text is accepted too.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from ..coerce import RowError, as_text
from ..content import parse_messages
from ..fields import Fields
from ..rows import LineContext, Mapped, candidate_row, request_row
from .base import Format

NAME = "arena"


def detect(record: Mapping[str, Any]) -> bool:
    return {"model_a", "model_b", "winner_model_a"} <= set(record)


def turns(rec: Fields, key: str) -> list[str]:
    """A field holding either text or a JSON array of text turns."""
    raw = rec.raw(key)
    if isinstance(raw, str) and raw.lstrip().startswith("["):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    values = raw if isinstance(raw, list) else [raw]
    return [as_text(v, key) or "" for v in values if v is not None]


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    model_a, model_b = rec.text("model_a"), rec.text("model_b")
    if not model_a or not model_b:
        raise RowError("model_a" if not model_a else "model_b", "required field is missing")
    prompts = turns(rec, "prompt")
    if not prompts:
        raise RowError("prompt", "required field is missing")
    win_a, win_b, tie = (rec.bool(k) or False for k in ("winner_model_a", "winner_model_b", "winner_tie"))
    if win_a + win_b + tie != 1:
        raise RowError("winner_model_a", "exactly one of winner_model_a, winner_model_b, winner_tie must be set")
    quality_a = 0.5 if tie else float(win_a)
    row = request_row(ctx, {"request_id": rec.text("id")},
                      parse_messages([{"role": "user", "content": p} for p in prompts], "prompt"))
    return Mapped([row], [
        candidate_row(row["request_id"], model_a, NAME, quality=quality_a, response="\n".join(turns(rec, "response_a"))),
        candidate_row(row["request_id"], model_b, NAME, quality=1.0 - quality_a,
                      response="\n".join(turns(rec, "response_b"))),
    ])


FORMAT = Format(NAME, "Chatbot Arena pairwise preferences", detect, map_record)
