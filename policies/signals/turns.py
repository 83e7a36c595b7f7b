"""The user's turns as the router separates them: the current turn and the prior ones.

Why: keyword rules read the prior user turns too, and reask compares the current turn with them.
The router (``extproc`` ``extractSignalConversationHistory``) takes the last user message with text
as the current turn and the earlier user messages with text as the prior turns; its consumers trim
them and skip blank ones (``keywordSignalText``, ``ReaskClassifier.computeSimilarities``). The
current turn here is the requests table's prompt (:data:`policies.simulation.frame.PROMPT`: the
``prompt`` column, else the last user message), so a table whose prompt column overrides its
messages is read consistently by every kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def prior_user_turns(frame: "pl.DataFrame") -> "pl.Series":
    """Per request, the user turns before the current one, trimmed, blank ones dropped, oldest first."""
    import polars as pl

    users = (pl.col("messages")
             .list.eval(pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content"))
             .list.eval(pl.element().filter(pl.element().str.len_chars() > 0)))
    prior = (users.list.head(pl.max_horizontal(users.list.len() - 1, 0))
             .list.eval(pl.element().str.strip_chars())
             .list.eval(pl.element().filter(pl.element().str.len_chars() > 0)))
    return frame.select(prior.fill_null([]).alias("prior"))["prior"]


def current_turn(frame: "pl.DataFrame") -> "pl.Series":
    """Per request, the current user turn, trimmed ("" when there is none)."""
    from ..simulation.frame import PROMPT

    return frame[PROMPT].str.strip_chars()
