"""RouterBench (withmartian) wide rows: one prompt, per-model columns, unpivoted to candidates.

Columns: ``sample_id, prompt, eval_name, <model>`` (performance 0–1), ``<model>|model_response``,
``<model>|total_cost``, ``oracle_model_to_route_to``. A model is any column that has a
``|total_cost`` or ``|model_response`` sibling, or a bare numeric column beside them.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..coerce import RowError, as_float, as_key, as_text
from ..content import parse_messages
from ..fields import Fields
from ..rows import LineContext, Mapped, candidate_row, request_row
from .base import Format

NAME = "routerbench"
FIXED = frozenset({"sample_id", "prompt", "eval_name", "oracle_model_to_route_to", "Unnamed: 0"})
_SUFFIXES = ("|total_cost", "|model_response")


def detect(record: Mapping[str, Any]) -> bool:
    keys = set(record)
    return "oracle_model_to_route_to" in keys or (
        "prompt" in keys and any(str(k).endswith(_SUFFIXES) for k in keys))


def models_in(record: Mapping[str, Any]) -> list[str]:
    """Model names: the prefixes of ``<model>|...`` columns, in column order."""
    names: list[str] = []
    for key in record:
        text = as_key(key, "columns")
        model = text.split("|", 1)[0]
        if "|" in text and model not in names:
            names.append(model)
    return names


def map_record(rec: Fields, ctx: LineContext) -> Mapped:
    prompt = rec.raw("prompt")
    if prompt is None:
        raise RowError("prompt", "required field is missing")
    turns = prompt if isinstance(prompt, list) else [prompt]
    content = parse_messages([{"role": "user", "content": t} for t in turns], "prompt")
    eval_name = rec.text("eval_name")
    row = request_row(ctx, {
        "request_id": rec.text("sample_id"),
        "tags": [eval_name] if eval_name else None,
        "metadata": {k: rec.raw(k) for k in ("eval_name", "oracle_model_to_route_to") if rec.raw(k) is not None},
    }, content)
    data = rec.data
    candidates = [candidate_row(row["request_id"], model, NAME,
                                quality=as_float(data.get(model), model),
                                cost_usd=as_float(data.get(f"{model}|total_cost"), f"{model}|total_cost"),
                                response=as_text(data.get(f"{model}|model_response"), f"{model}|model_response"))
                  for model in models_in(data)]
    return Mapped([row], candidates)


FORMAT = Format(NAME, "RouterBench wide rows (per-model columns)", detect, map_record)
