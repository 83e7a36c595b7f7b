"""Conversation content: OpenAI-style messages to the normalised ``messages`` and its derivatives.

Every log format that carries chat messages (OpenAI, LiteLLM, Langfuse, Helicone, Replay bodies)
goes through :func:`parse_messages`, so ``prompt``, ``system`` and the tool/image/audio flags
mean the same thing whatever the source.

What the router's conversation signals read is kept per message (``tool_calls``: the names of the
tool calls it makes, ``tool_results``: the tool results it carries, ``tool_call_id``: the call the
last of them answers, ``images``: image parts) and per request (``tool_definitions``: declared
``tools`` plus legacy ``functions``; ``tool_choice``: ``none``/``auto``/``required``/``named``), as
vLLM SR extracts them from an OpenAI body (``src/semantic-router/pkg/extproc/utils_fast.go``:
``countFastToolDefinitions``, ``consumeFastExtractMessage``) and, for Anthropic-shaped bodies
(``tool_use``/``tool_result`` content parts, ``tool_choice`` ``auto``/``any``/``tool``/``none``),
from their protocol-neutral form (``consumeSemanticMessage``: a tool-call part is a call, a
tool-result part a result). ``prompt`` is the last user message with text: a user turn without
text (an image or a tool result alone) does not replace it, as the router's ``UserContent`` is
kept there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from .coerce import RowError, as_text, type_name
from .fields import Fields

_SYSTEM_ROLES = ("system", "developer")
_TEXT_PARTS = ("text", "input_text", "output_text")
_IMAGE_PARTS = ("image_url", "input_image", "image")
_AUDIO_PARTS = ("input_audio", "audio")
_TOOL_CALL_PART = "tool_use"  # Anthropic: a tool call inside an assistant turn's content
_TOOL_RESULT_PART = "tool_result"  # Anthropic: a tool result inside a user turn's content
_TOOL_CHOICE_MODES = ("none", "auto", "required")
NAMED_TOOL_CHOICE = "named"
# Object tool choices by ``type``: OpenAI's named function/custom tool, Anthropic's auto/any/tool/none.
_TOOL_CHOICE_TYPES = {"function": NAMED_TOOL_CHOICE, "custom": NAMED_TOOL_CHOICE, "tool": NAMED_TOOL_CHOICE,
                      "auto": "auto", "any": "required", "none": "none"}


@dataclass
class Content:
    """The normalised conversation plus what routing signals need from it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    prompt: str | None = None
    system: str | None = None
    tool_names: list[str] = field(default_factory=list)
    has_tools: bool = False
    tool_definitions: int | None = None
    tool_choice: str | None = None
    has_image: bool = False
    has_audio: bool = False

    @property
    def chars(self) -> int:
        return sum(len(m["content"]) for m in self.messages)

    def add_request_tools(self, req: Fields) -> None:
        """A request body's declared tools (``tools``, legacy ``functions``) and its tool choice
        (``tool_choice``, else legacy ``function_call``)."""
        self._add_tools(req.list("tools"), req.where("tools"))
        self._add_tools(req.list("functions"), req.where("functions"))
        key = "tool_choice" if req.raw("tool_choice") is not None else "function_call"
        self.tool_choice = tool_choice_mode(req.raw(key), req.where(key))

    def _add_tools(self, tools: list[Any] | None, where: str) -> None:
        """Declared tools count as tool use and contribute their names."""
        if tools is None:
            return
        self.tool_definitions = (self.tool_definitions or 0) + len(tools)
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise RowError(f"{where}[{i}]", f"expected an object, got {type_name(tool)}")
            function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            self._add_tool_name(as_text(function.get("name"), f"{where}[{i}].function.name"))
            self.has_tools = True

    def _add_tool_name(self, name: str | None) -> None:
        if name and name not in self.tool_names:
            self.tool_names.append(name)


def tool_choice_mode(value: Any, where: str) -> str | None:
    """``tool_choice`` as the router's mode: ``none``/``auto``/``required`` as written, a chosen
    function (``{"type": "function", ...}``, legacy ``{"name": ...}``) ``named``, ``allowed_tools``
    its ``mode``."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in _TOOL_CHOICE_MODES:
            return value
        raise RowError(where, f"expected one of {', '.join(_TOOL_CHOICE_MODES)} or an object, got {value!r}")
    if not isinstance(value, dict):
        raise RowError(where, f"expected text or an object, got {type_name(value)}")
    if value.get("type") == "allowed_tools":
        allowed = value.get("allowed_tools")
        mode = allowed.get("mode") if isinstance(allowed, dict) else None
        return tool_choice_mode(mode, f"{where}.allowed_tools.mode") or "auto"
    if value.get("type") in _TOOL_CHOICE_TYPES:
        return _TOOL_CHOICE_TYPES[value["type"]]
    if "name" in value and "type" not in value:  # legacy function_call {"name": ...}
        return NAMED_TOOL_CHOICE
    raise RowError(f"{where}.type", f"unknown tool choice type {value.get('type')!r}")


@dataclass(frozen=True)
class ToolFacts:
    """A message's tool traffic: its calls (OpenAI ``tool_calls`` entries, Anthropic ``tool_use``
    parts) with their names, and the tool results it carries (a ``tool`` message is one; Anthropic
    ``tool_result`` parts count one each) with the id of the call the last one answers."""

    calls: list[Any]
    names: list[str]
    results: int
    result_id: str | None


def message_row(role: str, text: str, tools: ToolFacts | None = None, images: int = 0) -> dict[str, Any]:
    """One ``messages`` entry (``schema.MESSAGE``)."""
    return {"role": role, "content": text, "tool_calls": tools.names if tools else [],
            "tool_results": tools.results if tools else 0, "tool_call_id": tools.result_id if tools else None,
            "images": images}


def parse_messages(value: Any, where: str) -> Content:
    """Messages (a list, or a bare string meaning one user turn) to :class:`Content`."""
    content = Content()
    if value is None:
        return content
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise RowError(where, f"expected an array of messages, got {type_name(value)}")
    system_parts: list[str] = []
    for i, message in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(message, dict):
            raise RowError(at, f"expected a message object, got {type_name(message)}")
        role = as_text(message.get("role"), f"{at}.role")
        if not role:
            raise RowError(f"{at}.role", "message has no role")
        tools = tool_facts(message, at)
        text = message_text(message, at, content, tools)
        content.messages.append(message_row(role, text, tools, image_parts(message.get("content"))))
        if role in _SYSTEM_ROLES:
            system_parts.append(text)
        elif role == "user" and (text or content.prompt is None):
            content.prompt = text
        if role in ("tool", "function") or tools.results:
            content.has_tools = True
    content.system = "\n".join(system_parts) if system_parts else None
    return content


def message_text(message: Mapping[str, Any], at: str, content: Content | None = None,
                 tools: ToolFacts | None = None) -> str:
    """Text of one message; tool calls with no text are kept as their JSON so nothing is lost.
    ``tools``: its :func:`tool_facts` when the caller has them already."""
    text = parts_text(message.get("content"), f"{at}.content", content)
    if tools is None:
        tools = tool_facts(message, at)
    if content is not None and tools.calls:
        content.has_tools = True
        for name in tools.names:
            content._add_tool_name(name)
    if not text and tools.calls:
        text = as_text(json.dumps(tools.calls, ensure_ascii=False, sort_keys=True, default=str),
                       f"{at}.tool_calls") or ""
    return text


def tool_facts(message: Mapping[str, Any], at: str) -> ToolFacts:
    """The :class:`ToolFacts` of one message (``tool_calls`` checked here, content parts by parts_text)."""
    calls: list[Any] = []
    names: list[str] = []
    listed = message.get("tool_calls")
    if listed is not None:
        if not isinstance(listed, list):
            raise RowError(f"{at}.tool_calls", f"expected an array, got {type_name(listed)}")
        for j, call in enumerate(listed):
            if not isinstance(call, dict):
                raise RowError(f"{at}.tool_calls[{j}]", f"expected an object, got {type_name(call)}")
            function = call.get("function")
            names.append((as_text(function.get("name"), f"{at}.tool_calls[{j}].function.name") or "")
                         if isinstance(function, dict) else "")
            calls.append(call)
    results = 1 if message.get("role") == "tool" else 0
    result_id = as_text(message.get("tool_call_id"), f"{at}.tool_call_id")
    parts = message.get("content")
    for j, part in enumerate([parts] if isinstance(parts, dict) else parts if isinstance(parts, list) else []):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == _TOOL_CALL_PART:
            names.append(as_text(part.get("name"), f"{at}.content[{j}].name") or "")
            calls.append(part)
        elif kind == _TOOL_RESULT_PART:
            results += 1
            result_id = as_text(part.get("tool_use_id"), f"{at}.content[{j}].tool_use_id") or result_id
    return ToolFacts(calls, names, results, result_id)


def image_parts(value: Any) -> int:
    """Image parts of a message's content (parts_text has checked their shape)."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return 0
    return sum(1 for part in value if isinstance(part, dict) and part.get("type") in _IMAGE_PARTS)


def parts_text(value: Any, at: str, content: Content | None = None) -> str:
    """A content value (string, or list of typed parts) to plain text; media set the flags.
    Non-empty text parts are joined by a space, as the router reads a message's text
    (``extractTextFromContent`` in ``src/semantic-router/pkg/extproc/utils_fast.go``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return as_text(value, at) or ""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise RowError(at, f"expected text or an array of content parts, got {type_name(value)}")
    texts: list[str] = []
    for j, part in enumerate(value):
        where = f"{at}[{j}]"
        if isinstance(part, str):
            texts.append(as_text(part, where) or "")
            continue
        if not isinstance(part, dict):
            raise RowError(where, f"expected a content part object, got {type_name(part)}")
        kind = as_text(part.get("type"), f"{where}.type")
        if kind in _TEXT_PARTS or (kind is None and "text" in part):
            texts.append(as_text(part.get("text"), f"{where}.text") or "")
        elif kind in _IMAGE_PARTS and content is not None:
            content.has_image = True
        elif kind in _AUDIO_PARTS and content is not None:
            content.has_audio = True
    return " ".join(t for t in texts if t)


def estimate_tokens(chars: int) -> int:
    """The spec's fallback estimate: one token per four characters, rounded up."""
    return (chars + 3) // 4
