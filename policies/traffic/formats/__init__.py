"""Registry of traffic formats, in detection order (most specific keys first)."""

from __future__ import annotations

from typing import Any, Mapping

from . import arena, helicone, langfuse, litellm, llmrouter, lmsys, openai, replay, routellm, routerbench, table
from .base import Format

FORMATS: tuple[Format, ...] = (
    replay.FORMAT, litellm.FORMAT, langfuse.FORMAT, helicone.FORMAT, llmrouter.FORMAT,
    routerbench.FORMAT, arena.FORMAT, lmsys.FORMAT, openai.FORMAT, routellm.FORMAT,
)


def detect_format(record: Mapping[str, Any]) -> Format | None:
    """The first format whose detector accepts ``record``'s keys."""
    return next((fmt for fmt in FORMATS if fmt.detect(record)), None)


def format_names() -> list[str]:
    return [fmt.name for fmt in FORMATS] + [table.NAME]


__all__ = ["FORMATS", "Format", "detect_format", "format_names"]
