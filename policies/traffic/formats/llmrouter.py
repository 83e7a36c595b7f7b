"""LLMRouter (ulab-uiuc) long JSONL: one row per (query, model).

Rows of one query share a request id (a hash of task and query text), so the request row is
emitted once, on the query's first row, and every row adds one candidate outcome.
``response_time`` is seconds.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from ..coerce import RowError
from ..content import parse_messages
from ..fields import Fields
from ..rows import LineContext, Mapped, candidate_row, request_row
from .base import Format, MapRecord

NAME = "llmrouter"


def detect(record: Mapping[str, Any]) -> bool:
    return "query" in record and "model_name" in record


def query_id(task: str | None, query: str) -> str:
    """Same id for the same (task, query) in any file and on any run."""
    return "q-" + hashlib.sha256(f"{task or ''}\x1f{query}".encode("utf-8")).hexdigest()[:20]


def make_mapper() -> MapRecord:
    """A mapper remembering which queries already produced their request row (ids only)."""
    seen: set[str] = set()

    def map_record(rec: Fields, ctx: LineContext) -> Mapped:
        query, model = rec.text("query"), rec.text("model_name")
        if query is None:
            raise RowError("query", "required field is missing")
        if not model:
            raise RowError("model_name", "required field is missing")
        task = rec.text("task_name")
        rid = query_id(task, query)
        seconds = rec.float("response_time")
        out = Mapped(candidates=[candidate_row(
            rid, model, NAME, quality=rec.float("performance"), response=rec.text("response"),
            completion_tokens=rec.int("output_tokens"),
            latency_ms=None if seconds is None else seconds * 1000)])
        if rid not in seen:
            meta = {k: rec.raw(k) for k in ("task_name", "embedding_id") if rec.raw(k) is not None}
            out.requests.append(request_row(ctx, {
                "request_id": rid, "tags": [task] if task else None, "prompt_tokens": rec.int("input_tokens"),
                "metadata": meta or None,
            }, parse_messages(query, "query")))
            seen.add(rid)
        return out

    return map_record


FORMAT = Format(NAME, "LLMRouter long JSONL (one row per query and model)", detect, new_mapper=make_mapper)
