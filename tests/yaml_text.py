"""Text helpers for the tests that check a policy file is kept as written (issue 13, item 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "data" / "vllm-sr-upstream"
needs_upstream = pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs the router's files in ../shared/data/vllm-sr-upstream")


def commented(text: str) -> str:
    """``text`` with a comment line above every named list item and a comment at the end of every line
    (the sample policies have no block scalars, where a ``#`` would be content)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        item = re.match(r"^(\s*)- name: (\S+)$", line)
        if item:
            out.append(f"{item.group(1)}# about {item.group(2)}")
        out.append(line + (f"  # c{number}" if line.strip() and not line.lstrip().startswith("#") else ""))
    return "\n".join(out) + "\n"


def comments(text: str) -> list[str]:
    """Every comment of a text, in order (full-line ones and the ends of lines)."""
    return [m.group(0).strip() for m in re.finditer(r"(?:^|\s)#.*$", text, re.M)]
