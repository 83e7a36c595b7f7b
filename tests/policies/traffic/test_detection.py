"""Format auto-detection from keys, and the explicit override."""

from __future__ import annotations

import pytest

from policies.errors import PolicyError
from policies.traffic import format_names, read_traffic

from .conftest import chat_pair
from .test_formats import ARENA, HELICONE, LANGFUSE_TRACE, LITELLM, LMSYS, REPLAY

SAMPLES = {
    "openai": chat_pair(),
    "litellm": LITELLM,
    "langfuse": LANGFUSE_TRACE,
    "helicone": HELICONE,
    "replay": REPLAY,
    "lmsys": LMSYS,
    "arena": ARENA,
    "llmrouter": {"query": "q", "model_name": "m", "performance": 1.0},
    "routerbench": {"sample_id": "1", "prompt": "p", "eval_name": "e", "m": 1.0, "m|total_cost": 0.1},
    "routellm": {"prompt": "p", "strong": True, "weak": False},
    "table": {"request_id": "x", "prompt": "hello", "model_served": "gpt-4o"},
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_format_is_detected_from_its_keys(write_lines, name: str) -> None:
    ts = read_traffic(write_lines(f"{name}.jsonl", [b"{broken\n", SAMPLES[name]]))
    assert ts.source.format == name
    assert ts.requests.height >= 1 and ts.rejects.height == 1


def test_every_format_has_a_sample() -> None:
    assert set(format_names()) == set(SAMPLES)


def test_override_beats_detection(write_lines) -> None:
    path = write_lines("looks_like_table.jsonl", [{"model": "m", "messages": [{"role": "user", "content": "x"}]}])
    assert read_traffic(path).source.format == "openai"
    forced = read_traffic(path, format="litellm")
    assert forced.source.format == "litellm" and forced.requests["prompt"][0] == "x"


def test_forced_wrong_format_rejects_rows_not_the_file(write_lines) -> None:
    ts = read_traffic(write_lines("x.jsonl", [chat_pair()]), format="llmrouter")
    assert ts.requests.height == 0 and ts.rejects["field"].to_list() == ["query"]


def test_only_broken_lines_cannot_be_detected(write_lines) -> None:
    with pytest.raises(PolicyError, match="format="):
        read_traffic(write_lines("junk.jsonl", [b"{nope\n", b"\xff\xfe\n"]))
