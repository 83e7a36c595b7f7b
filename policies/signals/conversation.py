"""``conversation``: the shape of the request's conversation, its tools and tool calls.

The spec is the router's ``ConversationRule`` (``src/semantic-router/pkg/config/config.go``:
``feature`` ``{type: count|exists, source: {type, role}}`` and an optional ``predicate``). Values
follow vLLM SR's ``evaluateConversationSignal``
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
which the solver reads as well). A conversation leaf is *scored*: the router reports confidence 1.0 for a
matched rule and 0 otherwise, which its decision engine ranks with (``signalConfidence`` in
``src/semantic-router/pkg/decision/engine.go``).

The traffic readers keep what these read (``policies/traffic/content.py``: per message
``tool_calls``, ``tool_results``, ``tool_call_id``, ``images``; per request ``tool_definitions``,
``tool_choice``). The solver sees one integer per source (0..1 for the boolean facts), shared by
every signal over it, bounded by :meth:`ConversationSignal.firing_bounds`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import (ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, compare, predicate_bounds,
                   predicate_conflicts)

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

# A Router Flow call id: workflowToolCallIDPrefix, a non-empty state id, workflowToolCallIDSeparator.
FLOW_TOOL_CALL_PREFIX = "flowtool_"
FLOW_TOOL_CALL_SEPARATOR = "__"
_COUNTED_ROLES = ("user", "assistant", "system", "tool")
# What the router's validator accepts (src/semantic-router/pkg/config/validator_conversation.go).
FEATURE_TYPES = ("count", "exists")
SOURCE_TYPES = ("message", "tool_definition", "tool_choice_required", "tool_choice_none", "assistant_tool_call",
                "assistant_tool_cycle", "active_tool_loop", "flow_tool_state", "image_content")
ROLES = ("user", "assistant", "system", "developer", "tool", "non_user")


class ConversationSignal(Signal):
    collection = "conversation"
    leaf_type = "conversation"
    summary = "Conversation features (turn count, tools...)."
    editor_fields = (
        EditorField("feature", "yaml"),
        EditorField("predicate", "yaml"),
    )
    # Sources whose count is 0 or 1 (the router's boolean facts).
    flag_sources: ClassVar[frozenset[str]] = frozenset(
        {"tool_choice_required", "tool_choice_none", "active_tool_loop", "flow_tool_state"})
    feature: dict[str, Any] | None = None
    predicate: dict[str, Any] | None = None

    def firing_bounds(self) -> dict[str, float]:
        """Bounds the count must meet to fire: ``exists`` is count > 0 and reads no predicate; a count
        meets the predicate's bounds, and always fires without any (``conversationPredicateMatches``)."""
        if (self.feature or {}).get("type") == "exists":
            return {"gt": 0.0}
        return predicate_bounds(self.predicate)

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        """What the router's ``ValidateConversationRuleContract`` refuses (types compared exactly)."""
        feature = self.feature or {}
        source = feature.get("source") or {}
        at = path + ("feature",)

        def refused(message: str, where: tuple[str | int, ...], suggestion: str | None = None) -> Finding:
            return Finding("conversation-contract", Severity.ERROR, f"conversation '{self.name}': {message} (the "
                           "router refuses the config)", path=where, suggestion=suggestion)

        if feature.get("type") not in FEATURE_TYPES:
            yield refused(f"unsupported feature.type {feature.get('type')!r}", at + ("type",),
                          f"use one of {', '.join(FEATURE_TYPES)}")
        if source.get("type") not in SOURCE_TYPES:
            yield refused(f"unsupported feature.source.type {source.get('type')!r}", at + ("source", "type"),
                          f"use one of {', '.join(SOURCE_TYPES)}")
        role = source.get("role")
        if role not in (None, "") and source.get("type") != "message":
            yield refused("source.role is only valid with source.type message", at + ("source", "role"))
        elif role not in (None, "") and role not in ROLES:
            yield refused(f"unsupported source.role {role!r}", at + ("source", "role"), f"use one of {', '.join(ROLES)}")
        if self.predicate is not None:
            if feature.get("type") == "exists":
                yield refused("feature.type exists takes no predicate", path + ("predicate",),
                              "drop the predicate, or use feature.type count with it")
            for pair in predicate_conflicts(self.predicate):
                yield refused(f"a predicate cannot set both {pair}", path + ("predicate",))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        source = (self.feature or {}).get("source") or {}
        flag = source.get("type") in self.flag_sources or (
            source.get("type") == "message" and source.get("role") == "developer")
        text = json.dumps(source, sort_keys=True)
        var = pool.number(f"conversation:{text}", "int", "count", f"count of {text}", 1, low=0,
                          high=1 if flag else None)
        return pool.interval(var, self.firing_bounds()), []


class ConversationExtractor(Extractor):
    leaf_type = "conversation"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        assert isinstance(signal, ConversationSignal)
        count = conversation_count((signal.feature or {}).get("source") or {})
        return {"count": frame.select(count.cast(pl.Float64).fill_null(0.0).alias("c"))["c"]}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ConversationSignal)
        import polars as pl

        bounds = signal.firing_bounds()
        fired = (compare(col("count"), bounds) if bounds else col("count").is_not_null()).fill_null(False)
        # scored: the router reports 1.0 for a matched rule and 0 otherwise (evaluateConversationSignal)
        return LeafExpr(fired, pl.when(fired).then(1.0).otherwise(0.0))


def conversation_count(source: dict[str, Any]) -> "pl.Expr":
    """The router's raw count for ``source`` as an expression over a prepared requests frame."""
    import polars as pl

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
        return _per_message(_field("tool_calls").list.len())
    if kind == "assistant_tool_cycle":
        return _per_message(pl.coalesce(_field("tool_results"), (_field("role") == "tool").cast(pl.Int32)))
    if kind == "active_tool_loop":
        return _active_tool_loop()
    if kind == "flow_tool_state":
        return _flow_tool_state()
    if kind == "image_content":
        return _per_message(_field("images"))
    raise Unavailable(f"conversation source {kind!r} is not one the router computes")


def _field(name: str) -> "pl.Expr":
    import polars as pl

    return pl.element().struct.field(name)


def _per_message(value: "pl.Expr") -> "pl.Expr":
    """Sum of ``value`` (an expression over one message) over the request's messages."""
    import polars as pl

    return pl.col("messages").list.eval(value.fill_null(0).cast(pl.Int64)).list.sum().fill_null(0)


def _role_count(role: str) -> "pl.Expr":
    return _per_message(_field("role") == role)


def _message_count(role: str | None) -> "pl.Expr":
    import polars as pl

    if role in _COUNTED_ROLES:
        return _role_count(role)
    developer = (_role_count("developer") > 0).cast(pl.Int64)  # presence, not a count
    if role == "developer":
        return developer
    if role in (None, "", "non_user"):
        total = developer
        for r in _COUNTED_ROLES:
            if not (role == "non_user" and r == "user"):
                total = total + _role_count(r)
        return total
    return pl.lit(0)


def _message(index: int) -> "pl.Expr":
    import polars as pl

    return pl.col("messages").list.get(index, null_on_oob=True)


def _carries_result(message: "pl.Expr") -> "pl.Expr":
    """A message is a tool result: a ``tool`` message, or one holding tool-result parts."""
    return (message.struct.field("role") == "tool") | (message.struct.field("tool_results").fill_null(0) > 0)


def _active_tool_loop() -> "pl.Expr":
    last, role = _message(-1), _message(-1).struct.field("role")
    return (_carries_result(last)
            | ((role == "user") & _carries_result(_message(-2)).fill_null(False))
            | ((role == "assistant") & (last.struct.field("tool_calls").list.len() > 0))).fill_null(False)


def _flow_tool_state() -> "pl.Expr":
    call_id = _message(-1).struct.field("tool_call_id")
    state = call_id.str.strip_prefix(FLOW_TOOL_CALL_PREFIX)
    return (_carries_result(_message(-1)) & call_id.str.starts_with(FLOW_TOOL_CALL_PREFIX)
            & state.str.contains(FLOW_TOOL_CALL_SEPARATOR, literal=True)
            & ~state.str.starts_with(FLOW_TOOL_CALL_SEPARATOR)).fill_null(False)
