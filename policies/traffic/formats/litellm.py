"""LiteLLM ``StandardLoggingPayload`` (docs.litellm.ai/docs/proxy/logging_spec), one per call.

``model_group`` is the alias the client asked for and ``model`` what actually served (they differ
after a fallback); times are epoch seconds; ``response_cost`` is LiteLLM's own cost.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..content import parse_messages, parts_text
from ..fields import Fields
from ..rows import LineContext, Mapped, request_row, served_candidate
from .base import Format
from .chat import completion_text

NAME = "litellm"


def detect(record: Mapping[str, Any]) -> bool:
    return "call_type" in record and ("response_cost" in record or "startTime" in record)


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    content = parse_messages(rec.raw("messages"), rec.where("messages"))
    params = rec.obj("model_parameters")
    if params is not None:
        content.add_request_tools(params)
    meta = rec.obj("metadata")
    start, end, first = rec.float("startTime"), rec.float("endTime"), rec.float("completionStartTime")
    latency = (end - start) * 1000 if start is not None and end is not None else _seconds_ms(rec, "response_time")
    fields: dict[str, Any] = {
        "request_id": rec.text("id"),
        "session_id": rec.text("trace_id"),
        "ts": rec.ts("startTime"),
        "user_id": rec.text("end_user") or (meta.text("user_api_key_user_id") if meta else None),
        "tenant": (meta.text("user_api_key_team_alias") or meta.text("user_api_key_team_id")) if meta else None,
        "tags": rec.texts("request_tags"),
        "metadata": dict(meta.data) if meta is not None else None,
        "model_requested": rec.text("model_group"),
        "model_served": rec.text("model"),
        "provider": rec.text("custom_llm_provider"),
        "api_base": rec.text("api_base"),
        "status": rec.text("status"),
        "cache_hit": rec.bool("cache_hit"),
        "streaming": rec.bool("stream"),
        "prompt_tokens": rec.int("prompt_tokens"),
        "completion_tokens": rec.int("completion_tokens"),
        "cost_usd": rec.float("response_cost"),
        "latency_ms": latency,
        "ttft_ms": (first - start) * 1000 if first is not None and start is not None else None,
    }
    text = _response_text(rec)
    row = request_row(ctx, fields, content, text)
    served = served_candidate(row, text)
    return Mapped([row], [served] if served else [])


def _seconds_ms(rec: Fields, key: str) -> float | None:
    seconds = rec.float(key)
    return None if seconds is None else seconds * 1000


def _response_text(rec: Fields) -> str | None:
    raw = rec.raw("response")
    if isinstance(raw, dict):
        return completion_text(Fields(raw, rec.where("response")))
    return parts_text(raw, rec.where("response")) or None


FORMAT = Format(NAME, "LiteLLM StandardLoggingPayload (JSON lines or array)", detect, map_record)
