"""The one row builder every reader shares: ids, derived content columns, token estimates.

A mapper fills what its format logs (``fields``); :func:`request_row` completes the rest of the
normalised row the same way for every format, so no reader re-implements id, token or cost rules.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from .content import Content, estimate_tokens
from .schema import (CANDIDATES_SCHEMA, COST_LOGGED, PRIOR_SIGNAL_TYPES, REQUESTS_SCHEMA,
                     TOKENS_ESTIMATED, TOKENS_LOGGED)

_REQUEST_COLUMNS = tuple(REQUESTS_SCHEMA.names())
_CANDIDATE_COLUMNS = tuple(CANDIDATES_SCHEMA.names())
SERVED = "served"


@dataclass(frozen=True)
class LineContext:
    """Where a record came from: format, file as shown to users, hashing key, 1-based line."""

    source_format: str
    source_file: str
    file_key: str
    line: int

    def stable_id(self, *extra: str) -> str:
        """Stable request id from the source file *name* and line (same on every run and machine)."""
        text = "\x1f".join((self.file_key, str(self.line), *extra))
        return "h-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class Mapped:
    """What one source record became: request rows and candidate-outcome rows."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)


def metadata_json(value: dict[str, Any] | None) -> str | None:
    """Metadata kept as JSON text: schema-free, yet one column type for every format."""
    if not value:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=str)


def content_columns(content: Content) -> dict[str, Any]:
    """The request columns derived from a conversation."""
    return {"messages": content.messages, "prompt": content.prompt, "system": content.system,
            "has_tools": content.has_tools, "tool_names": content.tool_names,
            "tool_definitions": content.tool_definitions, "tool_choice": content.tool_choice,
            "has_image": content.has_image, "has_audio": content.has_audio}


def request_row(ctx: LineContext, fields: dict[str, Any], content: Content | None = None,
                response_text: str | None = None) -> dict[str, Any]:
    """A complete ``requests`` row: mapper ``fields`` plus derived content, ids and token rules."""
    row = dict.fromkeys(_REQUEST_COLUMNS)
    if content is not None:
        row.update(content_columns(content))
    row.update((k, v) for k, v in fields.items() if v is not None)
    row["source_format"] = ctx.source_format
    row["source_file"] = ctx.source_file
    row["source_line"] = ctx.line
    if not row["request_id"]:
        row["request_id"] = ctx.stable_id()
    if isinstance(row["metadata"], dict):
        row["metadata"] = metadata_json(row["metadata"])
    _fill_tokens(row, content, response_text)
    if row["cost_usd"] is not None and row["cost_source"] is None:
        row["cost_source"] = COST_LOGGED
    if row["prior_signals"] is not None:
        row["prior_signals"] = {name: row["prior_signals"].get(name) for name in PRIOR_SIGNAL_TYPES}
    return row


def _fill_tokens(row: dict[str, Any], content: Content | None, response_text: str | None) -> None:
    if row["tokens_source"] is not None:
        return
    estimated = False
    if row["prompt_tokens"] is None and content is not None and content.messages:
        row["prompt_tokens"] = estimate_tokens(content.chars)
        estimated = True
    if row["completion_tokens"] is None and response_text:
        row["completion_tokens"] = estimate_tokens(len(response_text))
        estimated = True
    if estimated:
        row["tokens_source"] = TOKENS_ESTIMATED
    elif row["prompt_tokens"] is not None or row["completion_tokens"] is not None:
        row["tokens_source"] = TOKENS_LOGGED


def candidate_row(request_id: str, model: str, source: str, **values: Any) -> dict[str, Any]:
    """A complete ``candidate_outcomes`` row."""
    row = dict.fromkeys(_CANDIDATE_COLUMNS)
    row.update(values)
    row.update(request_id=request_id, model=model, source=source)
    return row


def served_candidate(request: dict[str, Any], response_text: str | None) -> dict[str, Any] | None:
    """The served model's own outcome (spec: the served model of any log contributes one row)."""
    model = request["model_served"]
    if not model:
        return None
    return candidate_row(request["request_id"], model, SERVED, quality=request["quality"],
                         cost_usd=request["cost_usd"], latency_ms=request["latency_ms"],
                         completion_tokens=request["completion_tokens"], response=response_text)


def merge_candidates(served: dict[str, Any] | None,
                     others: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidate rows with the served row folded into a same-model row (one row per model).

    Logged values of the served call win over the candidate's (observed beats modelled); the
    candidate row keeps its ``source``, which describes where its quality came from.
    """
    out = list(others)
    if served is None:
        return out
    for row in out:
        if row["model"] == served["model"]:
            row.update((k, v) for k, v in served.items() if v is not None and k != "source")
            return out
    return [served, *out]
