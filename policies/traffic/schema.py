"""The normalised traffic tables (spec traffic-formats §2), one explicit Polars schema each.

Every reader produces rows for exactly these schemas so the simulator, the metrics and the
studio never need to know which logging tool a request came from.
"""

from __future__ import annotations

import polars as pl

# One chat message: its text, the names of the tool calls it makes, the tool results it carries and
# the call the last of them answers, its image parts; what the router's conversation signals count
# (content.py: ToolFacts).
MESSAGE = pl.Struct({"role": pl.String, "content": pl.String, "tool_calls": pl.List(pl.String),
                     "tool_results": pl.Int32, "tool_call_id": pl.String, "images": pl.Int32})

# Signal families recorded by vLLM SR Router Replay (`Record.signals`), one list of names each.
PRIOR_SIGNAL_TYPES: tuple[str, ...] = (
    "keyword", "embedding", "domain", "fact_check", "user_feedback", "reask", "preference",
    "language", "context", "structure", "complexity", "modality", "authz", "jailbreak", "safety",
    "pii", "kb", "conversation", "event", "metadata", "classifier", "input_modality",
)
PRIOR_SIGNALS = pl.Struct({name: pl.List(pl.String) for name in PRIOR_SIGNAL_TYPES})
# Polars has no map type: a signal-name -> confidence map is a list of {name, value}.
NAMED_VALUES = pl.List(pl.Struct({"name": pl.String, "value": pl.Float64}))

REQUESTS_SCHEMA = pl.Schema({
    # identity
    "request_id": pl.String,
    "source_format": pl.String,
    "source_file": pl.String,
    "source_line": pl.Int64,
    "ts": pl.Datetime("us", "UTC"),
    "session_id": pl.String,
    "turn_index": pl.Int32,
    "user_id": pl.String,
    "tenant": pl.String,
    "tags": pl.List(pl.String),
    "metadata": pl.String,  # JSON text
    # content
    "messages": pl.List(MESSAGE),
    "prompt": pl.String,
    "system": pl.String,
    "has_tools": pl.Boolean,
    "tool_names": pl.List(pl.String),
    "tool_definitions": pl.Int32,  # declared tools (request.tools + legacy functions)
    "tool_choice": pl.String,  # none | auto | required | named
    "has_image": pl.Boolean,
    "has_audio": pl.Boolean,
    # tokens
    "prompt_tokens": pl.Int64,
    "cached_prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "reasoning_tokens": pl.Int64,
    "tokens_source": pl.String,
    # serving
    "model_requested": pl.String,
    "model_served": pl.String,
    "provider": pl.String,
    "api_base": pl.String,
    "status": pl.String,
    "cache_hit": pl.Boolean,
    "streaming": pl.Boolean,
    "attempts": pl.Int32,
    # cost
    "cost_usd": pl.Float64,
    "cost_source": pl.String,
    # latency
    "latency_ms": pl.Float64,
    "ttft_ms": pl.Float64,
    # quality of the served model
    "quality": pl.Float64,
    "quality_source": pl.String,
    "feedback": pl.String,
    # flags
    "language": pl.String,
    "moderation_flagged": pl.Boolean,
    "pii_entities": pl.List(pl.String),
    "jailbreak_detected": pl.Boolean,
    "redacted": pl.Boolean,
    # prior routing (what production did)
    "prior_decision": pl.String,
    "prior_tier": pl.Int32,
    "prior_priority": pl.Int32,
    "prior_confidence": pl.Float64,
    "prior_selected_model": pl.String,
    "prior_signals": PRIOR_SIGNALS,
    "prior_signal_confidences": NAMED_VALUES,
    "prior_baseline_cost": pl.Float64,
})

CANDIDATES_SCHEMA = pl.Schema({
    "request_id": pl.String,
    "model": pl.String,
    "quality": pl.Float64,
    "cost_usd": pl.Float64,
    "latency_ms": pl.Float64,
    "completion_tokens": pl.Int64,
    "response": pl.String,
    "source": pl.String,
})

REJECTS_SCHEMA = pl.Schema({
    "source_file": pl.String,
    "line": pl.Int64,
    "field": pl.String,
    "reason": pl.String,
})

# Columns a row must carry; everything else may be null.
REQUIRED_REQUEST_COLUMNS: tuple[str, ...] = ("request_id", "source_format", "source_file")
REQUIRED_CANDIDATE_COLUMNS: tuple[str, ...] = ("request_id", "model")

TOKENS_LOGGED = "logged"
TOKENS_ESTIMATED = "estimated"
COST_LOGGED = "logged"


def empty_frame(schema: pl.Schema) -> pl.DataFrame:
    """A zero-row frame with the exact schema, so empty imports still have typed columns."""
    return pl.DataFrame(schema=schema)
