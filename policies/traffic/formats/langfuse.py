"""Langfuse exports: traces with nested ``observations``, or flat observation rows.

One request row per GENERATION observation (a trace without generations becomes one row from
the trace's own input/output). Trace ``latency`` is in seconds. Scores reach ``quality`` only when
the user maps one: ``mapping={"quality": "scores.<name>"}``, because Langfuse score scales differ.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..content import Content, parse_messages, parts_text
from ..fields import Fields
from ..rows import LineContext, Mapped, request_row, served_candidate
from .base import Format
from .chat import completion_text

NAME = "langfuse"
_TRACE_KEYS = {"observations", "sessionId", "userId", "totalCost", "htmlPath", "projectId"}


def detect(record: Mapping[str, Any]) -> bool:
    keys = set(record)
    return ("traceId" in keys and "type" in keys) or ("id" in keys and bool(keys & _TRACE_KEYS))


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    if "traceId" in rec.data and "type" in rec.data:  # a flat observation row
        trace, generations = None, [rec] if rec.text("type") == "GENERATION" else []
        if not generations:
            return Mapped()
    else:
        trace = rec
        generations = [o for o in rec.items("observations") if o.text("type") in ("GENERATION", None)]
    out = Mapped()
    for index, gen in enumerate(generations or [None]):
        row, text = _row(trace, gen, ctx, index if len(generations) > 1 else None)
        out.requests.append(row)
        served = served_candidate(row, text)
        if served:
            out.candidates.append(served)
    return out


def _row(trace: Fields | None, gen: Fields | None, ctx: LineContext,
         turn: int | None) -> tuple[dict[str, Any], str | None]:
    fields: dict[str, Any] = {}
    if trace is not None:
        latency = trace.float("latency")
        fields.update(request_id=trace.text("id"), ts=trace.ts("timestamp"), session_id=trace.text("sessionId"),
                      user_id=trace.text("userId"), tags=trace.texts("tags"),
                      metadata=_metadata(trace), cost_usd=trace.float("totalCost"),
                      latency_ms=None if latency is None else latency * 1000)
    source: Fields = gen if gen is not None else trace  # type: ignore[assignment]  (one is set)
    content = _content(source)
    text = _output_text(source)
    if gen is not None:
        start, end, first = gen.ts("startTime"), gen.ts("endTime"), gen.ts("completionStartTime")
        usage = gen.obj("usageDetails") or gen.obj("usage")
        cost = gen.obj("costDetails")
        fields.update(
            request_id=gen.text("id") if turn is not None or trace is None else fields.get("request_id"),
            session_id=fields.get("session_id") or gen.text("traceId"),
            turn_index=turn,
            ts=start or fields.get("ts"),
            model_served=gen.text("model"),
            status="error" if gen.text("level") == "ERROR" else "success",
            latency_ms=(end - start).total_seconds() * 1000 if start and end else fields.get("latency_ms"),
            ttft_ms=(first - start).total_seconds() * 1000 if start and first else None,
            cost_usd=(cost.float("total") if cost else None) or gen.float("calculatedTotalCost")
            or fields.get("cost_usd"),
        )
        if usage is not None:
            fields.update(prompt_tokens=usage.int("input") if "input" in usage else usage.int("promptTokens"),
                          completion_tokens=usage.int("output") if "output" in usage
                          else usage.int("completionTokens"))
        if gen.text("statusMessage"):
            fields["metadata"] = {**(fields.get("metadata") or {}), "statusMessage": gen.text("statusMessage")}
    return request_row(ctx, fields, content, text), text


def _metadata(trace: Fields) -> dict[str, Any] | None:
    meta = trace.raw("metadata")
    extra = {k: trace.raw(k) for k in ("name", "release", "version") if trace.raw(k) is not None}
    if isinstance(meta, dict):
        extra.update(meta)
    elif meta is not None:
        extra["metadata"] = meta
    return extra or None


def _content(source: Fields) -> Content:
    """Generation/trace ``input``: messages, ``{"messages": [...]}`` or plain text."""
    raw = source.raw("input")
    if isinstance(raw, dict) and "messages" in raw:
        inner = Fields(raw, source.where("input"))
        content = parse_messages(inner.raw("messages"), inner.where("messages"))
        content.add_request_tools(inner)
        return content
    if isinstance(raw, dict):
        text = parts_text(raw.get("text") or raw.get("prompt") or raw.get("query"), source.where("input"))
        return parse_messages(text or None, source.where("input"))
    return parse_messages(raw, source.where("input"))


def _output_text(source: Fields) -> str | None:
    raw = source.raw("output")
    if isinstance(raw, dict):
        out = Fields(raw, source.where("output"))
        if "choices" in out:
            return completion_text(out)
        return parts_text(raw.get("content") if "content" in raw else raw.get("text"), out.where("content")) or None
    return parts_text(raw, source.where("output")) or None


FORMAT = Format(NAME, "Langfuse export (traces with observations, or observations)", detect, map_record)
