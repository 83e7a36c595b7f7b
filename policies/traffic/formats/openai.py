"""OpenAI chat-completions logs: request/response pairs, Batch API lines and OpenPipe rows.

Line shapes (one JSON object per line):

* ``{"request": <chat.completions request>, "response": <chat.completion>}`` (response optional);
* Batch API input ``{"custom_id", "body"}`` or output ``{"custom_id", "response": {"status_code",
  "body"}, "error"}``;
* OpenPipe ``{"input": <request>, "output": <chat.completion or message>, "tags": {...}}``;
* a bare request body ``{"model", "messages", ...}``.

Routing Studio extensions, all optional, read from the top level of a line: ``latency_ms``,
``ttft_ms``, ``ts`` (timestamp, else ``response.created``), ``status`` and ``candidates``: a list of
``{"model", "quality", "completion_tokens", "latency_ms", "cost_usd", "response", "source"}``
per-candidate outcomes that go to ``candidate_outcomes`` (the embedded sample uses it for its
modelled per-model quality). ``response.usage.cost`` (OpenRouter's convention) is a logged cost.

Request id: ``request.metadata.request_id`` > ``custom_id`` > response ``id`` > stable hash of the
file name and line.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..coerce import RowError, as_tag_list, type_name
from ..fields import Fields
from ..rows import LineContext, Mapped, candidate_row, merge_candidates, request_row, served_candidate
from .base import Format
from .chat import read_completion, read_request

NAME = "openai"
EXTENSION_SOURCE = "logged"


def detect(record: Mapping[str, Any]) -> bool:
    if isinstance(record.get("request"), dict):
        return True
    if "custom_id" in record and ("body" in record or "response" in record):
        return True
    if "input" in record and "output" in record:
        return True
    return isinstance(record.get("messages"), list) and "model" in record


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    if "custom_id" in rec.data:
        req, resp_wrapper = rec.obj("body"), rec.obj("response")
        resp = resp_wrapper.obj("body") if resp_wrapper is not None else None
        logged_id = rec.text("custom_id")
    elif "input" in rec.data and "output" in rec.data:
        req, resp, logged_id = rec.require_obj("input"), rec.obj("output"), None
    elif "request" in rec.data:
        req, resp, logged_id = rec.require_obj("request"), rec.obj("response"), None
    else:
        req, resp, logged_id = rec, None, None
    if req is None and resp is None and not rec.raw("error"):
        raise RowError("body", "line has neither a request body, a response body nor an error")
    if req is not None and not isinstance(req.raw("messages"), list):
        found = req.raw("messages")
        raise RowError(req.where("messages"), "required field is missing" if found is None
                       else f"expected an array of messages, got {type_name(found)}")

    content, fields = read_request(req) if req is not None else (None, {})
    text = None
    response_id = None
    if resp is not None:
        served, text = read_completion(resp)
        fields.update((k, v) for k, v in served.items() if v is not None)
        response_id = resp.text("id")
    fields["request_id"] = fields.get("request_id") or logged_id or response_id
    fields.update(_extensions(rec, resp is not None))
    if rec.raw("error"):
        fields["metadata"] = {**(fields.get("metadata") or {}), "error": rec.raw("error")}
    tags = rec.raw("tags")
    if tags is not None:  # OpenPipe tags are an object; list tags are accepted too
        fields["tags"] = as_tag_list(tags, "tags")
    row = request_row(ctx, fields, content, text)
    others = [candidate_row(row["request_id"], c.text("model") or "", c.text("source") or EXTENSION_SOURCE,
                            quality=c.float("quality"), cost_usd=c.float("cost_usd"),
                            latency_ms=c.float("latency_ms"), completion_tokens=c.int("completion_tokens"),
                            response=c.text("response"))
              for c in _candidates(rec)]
    if row["quality"] is None:
        _quality_from_candidates(row, others)
    return Mapped([row], merge_candidates(served_candidate(row, text), others))


def _extensions(rec: Fields, has_response: bool) -> dict[str, Any]:
    error = rec.raw("error")
    status = rec.text("status") or ("error" if error else ("success" if has_response else None))
    fields: dict[str, Any] = {"latency_ms": rec.float("latency_ms"), "ttft_ms": rec.float("ttft_ms"),
                              "status": status}
    ts = rec.ts("ts") or rec.ts("timestamp")
    if ts is not None:
        fields["ts"] = ts
    return fields


def _candidates(rec: Fields) -> list[Fields]:
    items = rec.items("candidates")
    for item in items:
        if not item.text("model"):
            raise RowError(item.where("model"), "candidate has no model")
    return items


def _quality_from_candidates(row: dict[str, Any], candidates: list[dict[str, Any]]) -> None:
    """The served model's quality, when the line's candidates measured it."""
    for cand in candidates:
        if cand["model"] == row["model_served"] and cand["quality"] is not None:
            row["quality"], row["quality_source"] = cand["quality"], cand["source"]
            return


FORMAT = Format(NAME, "OpenAI chat-completions JSONL (pairs, Batch API, OpenPipe)", detect, map_record)
