"""Conversation content: OpenAI-style messages to the normalised ``messages`` and its derivatives.

Every log format that carries chat messages (OpenAI, LiteLLM, Langfuse, Helicone, Replay bodies)
goes through :func:`parse_messages`, so ``prompt``, ``system`` and the tool/image/audio flags
mean the same thing whatever the source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from .coerce import RowError, as_text, type_name

_SYSTEM_ROLES = ("system", "developer")
_TEXT_PARTS = ("text", "input_text", "output_text")
_IMAGE_PARTS = ("image_url", "input_image", "image")
_AUDIO_PARTS = ("input_audio", "audio")


@dataclass
class Content:
    """The normalised conversation plus what routing signals need from it."""

    messages: list[dict[str, str]] = field(default_factory=list)
    prompt: str | None = None
    system: str | None = None
    tool_names: list[str] = field(default_factory=list)
    has_tools: bool = False
    has_image: bool = False
    has_audio: bool = False

    @property
    def chars(self) -> int:
        return sum(len(m["content"]) for m in self.messages)

    def add_tools(self, tools: list[Any] | None, where: str) -> None:
        """Declared tools (``request.tools``) count as tool use and contribute their names."""
        for i, tool in enumerate(tools or []):
            if not isinstance(tool, dict):
                raise RowError(f"{where}[{i}]", f"expected an object, got {type_name(tool)}")
            function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            self._add_tool_name(as_text(function.get("name"), f"{where}[{i}].function.name"))
            self.has_tools = True

    def _add_tool_name(self, name: str | None) -> None:
        if name and name not in self.tool_names:
            self.tool_names.append(name)


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
        text = message_text(message, at, content)
        content.messages.append({"role": role, "content": text})
        if role in _SYSTEM_ROLES:
            system_parts.append(text)
        elif role == "user":
            content.prompt = text
        elif role in ("tool", "function"):
            content.has_tools = True
    content.system = "\n".join(system_parts) if system_parts else None
    return content


def message_text(message: Mapping[str, Any], at: str, content: Content | None = None) -> str:
    """Text of one message; tool calls with no text are kept as their JSON so nothing is lost."""
    text = parts_text(message.get("content"), f"{at}.content", content)
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise RowError(f"{at}.tool_calls", f"expected an array, got {type_name(calls)}")
        for j, call in enumerate(calls):
            if not isinstance(call, dict):
                raise RowError(f"{at}.tool_calls[{j}]", f"expected an object, got {type_name(call)}")
            function = call.get("function")
            name = as_text(function.get("name"), f"{at}.tool_calls[{j}].function.name") \
                if isinstance(function, dict) else None
            if content is not None:
                content.has_tools = True
                content._add_tool_name(name)
        if not text and calls:
            text = as_text(json.dumps(calls, ensure_ascii=False, sort_keys=True, default=str),
                           f"{at}.tool_calls") or ""
    return text


def parts_text(value: Any, at: str, content: Content | None = None) -> str:
    """A content value (string, or list of typed parts) to plain text; media set the flags."""
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
    return "\n".join(texts)


def estimate_tokens(chars: int) -> int:
    """The spec's fallback estimate: one token per four characters, rounded up."""
    return (chars + 3) // 4
