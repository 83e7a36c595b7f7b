"""The requests table as the signal extractors see it: every column they read, typed and non-missing.

Traffic readers leave optional columns null or absent (a plain table may carry only a prompt).
Filling the gaps once here, with the exact dtypes of ``policies.traffic.schema.REQUESTS_SCHEMA``,
keeps every extractor a plain expression over known columns instead of a pile of null checks.
"""

from __future__ import annotations

import polars as pl

from ..traffic.schema import CANDIDATES_SCHEMA, REQUESTS_SCHEMA

# Columns the extractors and outcome models read. Absent ones are added as typed nulls.
USED_COLUMNS: tuple[str, ...] = (
    "request_id", "messages", "prompt", "system", "user_id", "tenant", "metadata", "has_tools",
    "tool_names", "tool_definitions", "tool_choice", "has_image", "has_audio", "prompt_tokens",
    "cached_prompt_tokens",
    "completion_tokens", "model_served", "latency_ms", "ttft_ms", "quality", "cache_hit",
)
# Kept only when the log has them (no typed nulls: a million-row table without them stays lean):
# production's signal verdicts, replayed for kinds we cannot compute (.logged_signals).
LOGGED_COLUMNS: tuple[str, ...] = ("prior_signals", "prior_signal_confidences")

# Derived text columns (prefixed so they never clash with a signal or outcome column).
PROMPT = "_text::prompt"            # last user message, "" when missing
USER_TEXT = "_text::user_history"    # every user message joined by newlines (include_history)


def prepare_requests(requests: pl.DataFrame) -> pl.DataFrame:
    """Typed copy of ``requests`` restricted to :data:`USED_COLUMNS`, plus the derived text columns.

    A missing ``request_id`` column is an error (every report keys on it); anything else missing
    becomes a typed null column so a bare ``{request_id, prompt}`` table simulates.
    """
    if "request_id" not in requests.columns:
        raise ValueError("requests table has no 'request_id' column")
    exprs = []
    for name in USED_COLUMNS:
        dtype = REQUESTS_SCHEMA[name]
        if name in requests.columns:
            exprs.append(pl.col(name).cast(dtype, strict=False))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    exprs += [pl.col(name).cast(REQUESTS_SCHEMA[name], strict=False) for name in LOGGED_COLUMNS
              if name in requests.columns]
    frame = requests.lazy().select(exprs)
    user_messages = (pl.col("messages").list.eval(
        pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content")))
    frame = frame.with_columns(
        pl.coalesce(pl.col("prompt"), user_messages.list.last(), pl.lit("")).alias(PROMPT),
        pl.coalesce(user_messages.list.join("\n"), pl.col("prompt"), pl.lit("")).alias(USER_TEXT),
    )
    return frame.collect()


def prepare_candidates(candidates: pl.DataFrame | None) -> pl.DataFrame:
    """``candidate_outcomes`` with every column of ``CANDIDATES_SCHEMA`` (absent ones typed null)."""
    if candidates is None:
        return pl.DataFrame(schema=CANDIDATES_SCHEMA)
    return candidates.select(
        pl.col(name).cast(dtype, strict=False) if name in candidates.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in CANDIDATES_SCHEMA.items())
