"""Helicone request exports (JSON lines/array, or CSV with JSON-text bodies), one row per request.

Bodies are OpenAI-shaped; ``delay_ms`` is end-to-end latency, ``cost`` (``costUSD`` in some
exports) the logged cost. A ``cache_reference_id`` other than the all-zero UUID marks a cache hit.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..fields import Fields
from ..rows import LineContext, Mapped, request_row, served_candidate
from .base import Format
from .chat import read_completion, read_request

NAME = "helicone"
_NO_CACHE = {None, "", "00000000-0000-0000-0000-000000000000"}


def detect(record: Mapping[str, Any]) -> bool:
    return "request_body" in record or ("request_id" in record and "request_created_at" in record)


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    body = rec.obj("request_body")
    content, fields = read_request(body) if body is not None and "messages" in body else (None, {})
    text = None
    response = rec.obj("response_body")
    if response is not None:
        served, text = read_completion(response)
        fields.update((k, v) for k, v in served.items() if v is not None)
    props = rec.obj("request_properties")
    cache_ref = rec.text("cache_reference_id")
    status = rec.int("response_status")
    fields.update({k: v for k, v in {
        "request_id": rec.text("request_id"),
        "ts": rec.ts("request_created_at"),
        "user_id": rec.text("request_user_id"),
        "tenant": props.text("tenant") if props is not None else None,
        "metadata": dict(props.data) if props is not None else None,
        "model_requested": rec.text("request_model"),
        "model_served": rec.text("response_model") or rec.text("model"),
        "provider": rec.text("provider"),
        "status": None if status is None else str(status),
        "cache_hit": cache_ref not in _NO_CACHE if cache_ref is not None else None,
        "prompt_tokens": rec.int("prompt_tokens"),
        "cached_prompt_tokens": rec.int("prompt_cache_read_tokens"),
        "completion_tokens": rec.int("completion_tokens"),
        "reasoning_tokens": rec.int("reasoning_tokens"),
        "cost_usd": rec.float("cost") if "cost" in rec else rec.float("costUSD"),
        "latency_ms": rec.float("delay_ms"),
        "ttft_ms": rec.float("time_to_first_token"),
        "feedback": _feedback(rec),
    }.items() if v is not None})
    row = request_row(ctx, fields, content, text)
    served_row = served_candidate(row, text)
    return Mapped([row], [served_row] if served_row else [])


def _feedback(rec: Fields) -> str | None:
    """Helicone stores thumbs up/down as a boolean; keep it readable as text."""
    raw = rec.raw("feedback_rating")
    if isinstance(raw, bool):
        return "positive" if raw else "negative"
    return rec.text("feedback_rating")


FORMAT = Format(NAME, "Helicone request export", detect, map_record)
