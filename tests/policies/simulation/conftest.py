"""Builders for small policies and traffic tables (real Polars frames, no model stand-ins)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from policies.model import Policy

MODELS = [
    {"name": "small", "pricing": {"prompt_per_1m": 0.1, "completion_per_1m": 0.2}},
    {"name": "large", "pricing": {"prompt_per_1m": 2.0, "completion_per_1m": 8.0}},
]


def make_policy(decisions: list[dict[str, Any]], signals: dict[str, Any] | None = None, **routing: Any) -> Policy:
    """A canonical policy with two priced models (default ``small``)."""
    return Policy.from_spec({
        "version": "v0.3",
        "providers": {"defaults": {"model": "small"}, "models": MODELS},
        "routing": {"signals": signals or {}, "decisions": decisions, **routing},
    })


def requests_from_prompts(prompts: list[str], **columns: list[Any]) -> pl.DataFrame:
    """A requests table with one user message per prompt; extra columns by keyword."""
    data: dict[str, Any] = {
        "request_id": [f"r{i}" for i in range(len(prompts))],
        "prompt": prompts,
        "messages": [[{"role": "user", "content": p}] for p in prompts],
    }
    for name, values in columns.items():
        data[name] = [json.dumps(v) if name == "metadata" and v is not None else v for v in values]
    return pl.DataFrame(data)


@pytest.fixture
def policy_factory():
    return make_policy
