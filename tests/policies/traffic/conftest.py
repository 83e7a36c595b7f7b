"""Helpers to write real-shaped traffic files into tmp_path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Iterable

import pytest


def dump_lines(path: Path, records: Iterable[Any | bytes], *, compress: bool = False) -> Path:
    """JSON lines; a ``bytes`` item is written verbatim (for broken rows)."""
    data = b"".join(r if isinstance(r, bytes) else json.dumps(r).encode() + b"\n" for r in records)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def write_lines(tmp_path: Path):
    def write(name: str, records: Iterable[Any | bytes], *, compress: bool = False) -> Path:
        return dump_lines(tmp_path / name, records, compress=compress)
    return write


def chat_pair(text: str = "What is 2+2?", *, rid: str | None = None, resp_id: str | None = "chatcmpl-1",
              model: str = "gpt-4o-mini") -> dict[str, Any]:
    request: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    if rid:
        request["metadata"] = {"request_id": rid}
    response: dict[str, Any] = {"object": "chat.completion", "created": 1717000000, "model": model,
                                "choices": [{"index": 0, "message": {"role": "assistant", "content": "4"},
                                             "finish_reason": "stop"}],
                                "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13}}
    if resp_id:
        response["id"] = resp_id
    return {"request": request, "response": response}
