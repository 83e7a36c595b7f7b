"""vLLM Semantic Router Router Replay ``Record`` (pkg/routerreplay/store/store.go).

What production did goes to the ``prior_*`` columns (decision, tier, priority, confidence,
selected model, signals per family, signal confidences, baseline cost), so a policy under test
can be diffed against it request by request. ``selected_model`` is also ``model_served``;
``outcomes[{target, score}]`` give measured per-model quality (``quality_source = replay outcome``).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..coerce import as_float, as_key
from ..content import Content, parse_messages
from ..fields import Fields
from ..rows import LineContext, Mapped, candidate_row, merge_candidates, request_row, served_candidate
from ..schema import PRIOR_SIGNAL_TYPES
from .base import Format
from .chat import read_completion, read_request

NAME = "replay"
OUTCOME_SOURCE = "replay outcome"


def detect(record: Mapping[str, Any]) -> bool:
    return "selected_model" in record or ("decision" in record and "signals" in record)


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    content, fields = _request(rec)
    text = None
    body = rec.raw("response_body")
    if body:
        response = _json_body(rec, "response_body")
        if response is not None:
            served, text = read_completion(response)
            fields.update((k, v) for k, v in served.items() if k in ("prompt_tokens", "completion_tokens") and v)
    status = rec.int("response_status")
    selected = rec.text("selected_model")
    fields.update({k: v for k, v in {
        "request_id": rec.text("request_id") or rec.text("id"),
        "ts": rec.ts("timestamp"),
        "session_id": rec.text("session_id") or rec.text("conversation_id"),
        "turn_index": rec.int("turn_index"),
        "model_requested": rec.text("original_model"),
        "model_served": selected,
        "status": None if status is None else str(status),
        "cache_hit": rec.bool("from_cache"),
        "streaming": rec.bool("streaming"),
        "prompt_tokens": rec.int("prompt_tokens"),
        "cached_prompt_tokens": rec.int("cached_prompt_tokens"),
        "completion_tokens": rec.int("completion_tokens"),
        "cost_usd": rec.float("actual_cost"),
        "latency_ms": rec.float("duration_ms"),
        "jailbreak_detected": rec.bool("jailbreak_detected"),
        "pii_entities": rec.texts("pii_entities"),
        "prior_decision": rec.text("decision"),
        "prior_tier": rec.int("decision_tier"),
        "prior_priority": rec.int("decision_priority"),
        "prior_confidence": rec.float("confidence_score"),
        "prior_selected_model": selected,
        "prior_signals": _signals(rec),
        "prior_signal_confidences": _named_values(rec, "signal_confidences"),
        "prior_baseline_cost": rec.float("baseline_cost"),
    }.items() if v is not None})
    meta = {k: rec.raw(k) for k in ("id", "recipe", "category", "reasoning_mode", "selection_method",
                                   "baseline_model", "cost_savings", "currency", "projections")
            if rec.raw(k) is not None}
    if meta:
        fields["metadata"] = {**(fields.get("metadata") or {}), "replay": meta}
    outcomes = _outcomes(rec)
    row = request_row(ctx, fields, content, text)
    own = next((o for o in outcomes if o["model"] == selected and o["quality"] is not None), None)
    if own is not None:
        row["quality"], row["quality_source"] = own["quality"], OUTCOME_SOURCE
    others = [candidate_row(row["request_id"], o["model"], OUTCOME_SOURCE, quality=o["quality"]) for o in outcomes]
    return Mapped([row], merge_candidates(served_candidate(row, text), others))


def _request(rec: Fields) -> tuple[Content, dict[str, Any]]:
    """Conversation from ``request_body`` (chat JSON text) when present, else ``prompt``."""
    if rec.raw("request_body"):
        body = _json_body(rec, "request_body")
        if body is not None and "messages" in body:
            return read_request(body)
    return parse_messages(rec.text("prompt") or None, "prompt"), {}


def _json_body(rec: Fields, key: str) -> Fields | None:
    """A body stored as JSON text; a truncated body (``*_truncated``) is kept out, not rejected."""
    if rec.bool(f"{key}_truncated"):
        return None
    return rec.obj(key)


def _signals(rec: Fields) -> dict[str, list[str] | None] | None:
    signals = rec.obj("signals")
    if signals is None:
        return None
    return {name: signals.texts(name) for name in PRIOR_SIGNAL_TYPES}


def _named_values(rec: Fields, key: str) -> list[dict[str, Any]] | None:
    values = rec.obj(key)
    if values is None:
        return None
    return [{"name": as_key(name, key), "value": as_float(value, f"{key}.{as_key(name, key)}")}
            for name, value in values.data.items()]


def _outcomes(rec: Fields) -> list[dict[str, Any]]:
    out = []
    for item in rec.items("outcomes"):
        model = item.text("target")
        if model:
            out.append({"model": model, "quality": item.float("score")})
    return out


FORMAT = Format(NAME, "vLLM SR Router Replay records", detect, map_record)
