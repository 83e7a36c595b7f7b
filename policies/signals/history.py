"""The texts a history-aware signal (``jailbreak``, ``pii`` with ``include_history``) scores, one by one.

The router scores the current user text and, when a rule sets ``include_history``, every other
message of the conversation *separately* (never joined), and a rule matches on the worst of them:

- the current text is the last user message with text (``extractUserAndNonUserContent``,
  ``src/semantic-router/pkg/extproc/`` request parsing; here the frame's ``PROMPT``);
- the history is every non-empty message that is neither a user nor a tool message (system,
  developer, assistant), then every earlier user message, each once
  (``historyForHistoryAwareSignals`` in ``pkg/classification/``, issue #1961: prior user turns
  count too; passed as ``nonUserMessages`` by ``buildPolicySignalDispatchers``);
- an empty text is never scored (``buildContentList``, ``collectPIIRuleContents``), so a request
  with nothing to read never matches.

Left out: the router's default prompt-guard and PII models read a long text in overlapping
windows of 512 tokens (255 shared with the next) of their own tokenizer, up to the model's
context length, and keep the riskiest window's distribution (``resolveDefaultJailbreakWindow``
in ``classifier_jailbreak_window_default.go``, ``riskiestWindow`` in
``classifier_jailbreak_window.go``; ``resolveDefaultPIIWindow`` in
``classifier_pii_window_default.go``). Our stand-in detectors read each text whole (the bundled
encoder truncates at its own limit), so a risk beyond that limit is not seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

ROW, TEXT = "_row", "_text"
_NOT_HISTORY = ("user", "tool", "function")  # tool results are never history (extractUserAndNonUserContent)


def scored_texts(frame: "pl.DataFrame", include_history: bool) -> "pl.DataFrame":
    """``(_row, _text)``: each request's current text, plus its history when asked, non-empty and once each."""
    import polars as pl

    from ..simulation.frame import PROMPT

    rows = pl.int_range(pl.len(), dtype=pl.UInt32)
    current = frame.select(rows.alias(ROW), pl.col(PROMPT).alias(TEXT))
    parts = [current]
    if include_history:
        messages = (frame.select(rows.alias(ROW), pl.col("messages")).explode("messages").unnest("messages")
                    .with_columns(pl.int_range(pl.len()).over(ROW).alias("_i")))
        user = (pl.col("role") == "user") & (pl.col("content").fill_null("") != "")
        last_user = pl.when(user).then(pl.col("_i")).max().over(ROW)
        other = pl.col("role").is_not_null() & ~pl.col("role").is_in(_NOT_HISTORY)
        prior_user = user & (pl.col("_i") < last_user)
        parts.append(messages.filter((other | prior_user) & (pl.col("content").fill_null("") != ""))
                     .select(ROW, pl.col("content").alias(TEXT)))
    texts = pl.concat(parts)
    return texts.filter(pl.col(TEXT).fill_null("") != "").unique(maintain_order=True)


def worst_per_request(texts: "pl.DataFrame", scores: "np.ndarray", rows: int, nothing: float) -> "np.ndarray":
    """The largest of each request's text scores (``scores`` aligned with ``texts``); ``nothing`` where a
    request had no text to score."""
    import numpy as np

    out = np.full(rows, nothing, dtype=np.float64)
    np.maximum.at(out, texts[ROW].to_numpy(), np.asarray(scores, dtype=np.float64))
    return out


def worst_score(frame: "pl.DataFrame", include_history: bool, score: Callable[["pl.Series"], "np.ndarray"],
                nothing: float) -> "np.ndarray":
    """Per request, the worst ``score`` over the texts :func:`scored_texts` picks (``nothing`` when none)."""
    texts = scored_texts(frame, include_history)
    return worst_per_request(texts, score(texts[TEXT]) if texts.height else [], frame.height, nothing)


def solver_score(pool: Any, name: str, subject: str, low: float, high: float, include_history: bool) -> str:
    """A detector score as a solver number; with ``include_history`` its own number, never below the
    current-text-only one (the worst over more texts), so the two readings are related, not equal."""
    current = pool.number(name, "real", "score", subject, 3, low, high)
    if not include_history:
        return current
    history = f"{name}:history"
    if history not in pool.numbers:
        pool.number(history, "real", "score", f"{subject} (with history)", 3, low, high)
        pool.background.append(pool.term(history) >= pool.term(current))
    return history
