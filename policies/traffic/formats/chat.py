"""OpenAI chat-completions request and response bodies, shared by every format that embeds them.

OpenAI logs, LiteLLM payloads, Helicone bodies and Router Replay bodies all carry these shapes;
reading them in one place keeps ``prompt``, tokens and ids consistent across formats.
"""

from __future__ import annotations

from typing import Any

from ..coerce import as_tag_list
from ..content import Content, message_text, parse_messages, parts_text
from ..fields import Fields


def read_request(req: Fields) -> tuple[Content, dict[str, Any]]:
    """Conversation and request-side columns of a chat.completions request body."""
    content = parse_messages(req.raw("messages"), req.where("messages"))
    content.add_request_tools(req)
    meta = req.obj("metadata")
    fields: dict[str, Any] = {
        "model_requested": req.text("model"),
        "user_id": req.text("user"),
        "streaming": req.bool("stream"),
    }
    if meta is not None:
        fields.update(metadata=dict(meta.data), request_id=meta.text("request_id"),
                      tenant=meta.text("tenant"), session_id=meta.text("session_id"),
                      tags=as_tag_list(meta.raw("tags"), meta.where("tags")))
    return content, fields


def read_completion(resp: Fields) -> tuple[dict[str, Any], str | None]:
    """Response-side columns and the completion text of a chat.completion (or a bare message)."""
    if "choices" not in resp and "role" in resp:
        return {}, message_text(resp.data, resp.prefix)
    usage = resp.obj("usage")
    fields: dict[str, Any] = {"model_served": resp.text("model"), "ts": resp.ts("created")}
    if usage is not None:
        fields.update(
            prompt_tokens=usage.int("prompt_tokens"),
            completion_tokens=usage.int("completion_tokens"),
            cached_prompt_tokens=usage.int("prompt_tokens_details.cached_tokens"),
            reasoning_tokens=usage.int("completion_tokens_details.reasoning_tokens"),
            cost_usd=usage.float("cost"),
        )
    return fields, completion_text(resp)


def completion_text(resp: Fields) -> str | None:
    """Text of the first choice (``message`` for chat, ``text`` for legacy completions)."""
    choices = resp.items("choices")
    if not choices:
        return None
    first = choices[0]
    message = first.obj("message")
    if message is not None:
        return message_text(message.data, message.prefix)
    return parts_text(first.raw("text"), first.where("text")) or None
