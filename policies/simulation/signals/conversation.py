"""Conversation shape and input modality, read from the normalised messages and request columns.

``conversation`` signals follow vLLM SR's ``evaluateConversationSignal``
(``src/semantic-router/pkg/classification/classifier_signal_conversation.go``) over the facts its
ext_proc extracts from the request (``src/semantic-router/pkg/extproc/utils_fast.go``
``consumeFastExtractMessage``/``countFastToolDefinitions``, and the protocol-neutral walk
``consumeSemanticMessage`` beside ``request_signal_snapshot.go`` for the last-message facts, the
tool choice and flow tool results). ``source.type``:

* ``message``: messages of ``role`` (``user``, ``assistant``, ``system``, ``tool``), ``developer``
  1 when any developer message is present, ``non_user`` assistant + system + tool (+1 for a
  developer message), no role: all of those plus user; another role counts 0. Other roles
  (``function``) are never counted.
* ``tool_definition``: declared tools (``tools`` plus legacy ``functions``);
  ``tool_choice_required`` 1 when ``tool_choice`` is ``required`` or names a function,
  ``tool_choice_none`` 1 when it is ``none``.
* ``assistant_tool_call``: tool calls (OpenAI ``tool_calls``, Anthropic ``tool_use`` parts);
  ``assistant_tool_cycle``: tool results (a ``tool`` message, or each ``tool_result`` part).
* ``active_tool_loop``: 1 when the last message is a tool result, a user turn right after a tool
  result, or an assistant message with tool calls (``activeToolLoopCount``).
* ``flow_tool_state``: 1 when the last message is a tool result answering a Router Flow call (id
  ``flowtool_<state>__<call>``, ``src/semantic-router/pkg/looper``: ``IsWorkflowToolCallID``).
* ``image_content``: image parts in any message (``consumeSemanticMessage``; an OpenAI body has
  them in user turns only, which is all ``utils_fast.go`` counts).
* any other source counts 0 in the router; here it is :class:`Unavailable`.

``feature.type`` ``exists`` turns the count into 1/0 and fires when it is 1 (the predicate is not
read); any other type keeps the count and fires when every ``predicate`` bound holds, always when
there is no predicate (``conversationPredicateMatches``; ``ConversationSignal.firing_bounds``,
which the solver reads as well).

``input_modality`` fires for ``text`` (a non-empty prompt), ``image`` and ``audio`` from the
request's content flags; ``video`` is not recorded by any reader: unavailable.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...model import RuleNode
from ...model.signals import ConversationSignal, InputModalitySignal, Signal
from ..frame import PROMPT
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, compare

# A Router Flow call id: workflowToolCallIDPrefix, a non-empty state id, workflowToolCallIDSeparator.
FLOW_TOOL_CALL_PREFIX = "flowtool_"
FLOW_TOOL_CALL_SEPARATOR = "__"
_COUNTED_ROLES = ("user", "assistant", "system", "tool")


def _field(name: str) -> pl.Expr:
    return pl.element().struct.field(name)


def _per_message(value: pl.Expr) -> pl.Expr:
    """Sum of ``value`` (an expression over one message) over the request's messages."""
    return pl.col("messages").list.eval(value.fill_null(0).cast(pl.Int64)).list.sum().fill_null(0)


def _role_count(role: str) -> pl.Expr:
    return _per_message(_field("role") == role)


def _has_developer() -> pl.Expr:
    return (_role_count("developer") > 0).cast(pl.Int64)


def _tool_calls() -> pl.Expr:
    return _per_message(_field("tool_calls").list.len())


def _carries_result(message: pl.Expr) -> pl.Expr:
    """A message is a tool result: a ``tool`` message, or one holding tool-result parts."""
    return (message.struct.field("role") == "tool") | (message.struct.field("tool_results").fill_null(0) > 0)


def _message_count(role: str | None) -> pl.Expr:
    if role in _COUNTED_ROLES:
        return _role_count(role)
    if role == "developer":
        return _has_developer()
    if role in (None, "", "non_user"):
        roles = _COUNTED_ROLES if role != "non_user" else tuple(r for r in _COUNTED_ROLES if r != "user")
        total = _has_developer()
        for r in roles:
            total = total + _role_count(r)
        return total
    return pl.lit(0)


def _last(name: str) -> pl.Expr:
    return pl.col("messages").list.last().struct.field(name)


def _active_tool_loop() -> pl.Expr:
    last = pl.col("messages").list.last()
    previous = pl.col("messages").list.get(-2, null_on_oob=True)
    return (_carries_result(last)
            | ((_last("role") == "user") & _carries_result(previous).fill_null(False))
            | ((_last("role") == "assistant") & (_last("tool_calls").list.len() > 0))).fill_null(False)


def _flow_tool_state() -> pl.Expr:
    call_id = _last("tool_call_id")
    state = call_id.str.strip_prefix(FLOW_TOOL_CALL_PREFIX)
    return (_carries_result(pl.col("messages").list.last()) & call_id.str.starts_with(FLOW_TOOL_CALL_PREFIX)
            & state.str.contains(FLOW_TOOL_CALL_SEPARATOR, literal=True)
            & ~state.str.starts_with(FLOW_TOOL_CALL_SEPARATOR)).fill_null(False)


def conversation_count(source: dict[str, Any]) -> pl.Expr:
    """The router's raw count for ``source`` as an expression over a prepared requests frame."""
    kind = source.get("type")
    if kind == "message":
        return _message_count(source.get("role"))
    if kind == "tool_definition":
        return pl.col("tool_definitions").fill_null(0)
    if kind == "tool_choice_required":
        return pl.col("tool_choice").is_in(["required", "named"]).fill_null(False)
    if kind == "tool_choice_none":
        return (pl.col("tool_choice") == "none").fill_null(False)
    if kind == "assistant_tool_call":
        return _tool_calls()
    if kind == "assistant_tool_cycle":
        return _per_message(pl.coalesce(_field("tool_results"), (_field("role") == "tool").cast(pl.Int32)))
    if kind == "active_tool_loop":
        return _active_tool_loop()
    if kind == "flow_tool_state":
        return _flow_tool_state()
    if kind == "image_content":
        return _per_message(_field("images"))
    raise Unavailable(f"conversation source {kind!r} is not one the router computes")


class ConversationExtractor(Extractor):
    leaf_type = "conversation"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, ConversationSignal)
        count = conversation_count((signal.feature or {}).get("source") or {})
        return {"count": frame.select(count.cast(pl.Float64).fill_null(0.0).alias("c"))["c"]}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ConversationSignal)
        bounds = signal.firing_bounds()
        fired = compare(col("count"), bounds) if bounds else col("count").is_not_null()
        return LeafExpr(fired.fill_null(False), None)


class InputModalityExtractor(Extractor):
    leaf_type = "input_modality"

    def raw(self, signal: Signal, frame: pl.DataFrame, context: Any) -> RawColumns:
        assert isinstance(signal, InputModalitySignal)
        modality = (signal.modality or signal.name).lower()
        column = {"text": frame[PROMPT].str.len_chars() > 0, "image": frame["has_image"],
                  "audio": frame["has_audio"]}.get(modality)
        if column is None:
            raise Unavailable(f"input modality {modality!r} is not recorded in traffic")
        return {"present": column.fill_null(False).cast(pl.Float64)}

    def leaf(self, signal: Signal, node: RuleNode, col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("present") > 0.5, None)
