"""Property tests: mutated and generated lines never break an import, for every reader.

Each example takes a real-shaped record of one format, mutates it (values replaced by random
JSON of any type, keys deleted, bytes flipped, lines cut), and imports it with the format
forced. The import must return a TrafficSet with the exact schemas, and every non-blank line
must be accounted for (imported or counted in ``rejects``).
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.traffic import CANDIDATES_SCHEMA, REJECTS_SCHEMA, REQUESTS_SCHEMA, TrafficSet, read_traffic

from .conftest import chat_pair
from .test_detection import SAMPLES
from .test_openai import FULL_PAIR

BASES = {**SAMPLES, "openai": FULL_PAIR}
BASES["openai-batch"] = {"custom_id": "c1", "response": {"status_code": 200, "body": chat_pair()["response"]}}
TRIED: dict[str, int] = {}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a JSON document."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, prefix + (index,))
    return out


@st.composite
def mutated_line(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    record = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 4))):
        targets = paths(record)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = record
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON)
    raw = json.dumps(record, allow_nan=True).encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none", "none", "flip", "cut"]))
    if damage == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    elif damage == "cut":
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw.replace(b"\n", b" ") + b"\n"


@pytest.mark.parametrize("name", sorted(BASES))
def test_mutated_lines_never_break_the_import(name: str) -> None:
    fmt = "openai" if name.startswith("openai") else name
    base = BASES[name]

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(mutated_line(base), min_size=1, max_size=4))
    def check(lines: list[bytes]) -> None:
        TRIED[name] = TRIED.get(name, 0) + 1
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "mutated.jsonl"
            path.write_bytes(b"".join([json.dumps(base).encode() + b"\n", *lines]))
            ts = read_traffic(path, format=fmt)
        assert isinstance(ts, TrafficSet)
        assert ts.requests.schema == REQUESTS_SCHEMA
        assert ts.candidate_outcomes.schema == CANDIDATES_SCHEMA
        assert ts.rejects.schema == REJECTS_SCHEMA
        non_blank = 1 + sum(1 for line in lines if line.strip())
        assert ts.source.records == non_blank
        assert ts.rejects.height <= non_blank and ts.rejects["line"].null_count() == 0
        accounted = ts.requests.height + ts.rejects.height
        if fmt == "llmrouter":  # rows of one query share one request row
            assert accounted <= non_blank
        elif fmt == "langfuse":  # one row per generation of a trace
            assert accounted >= non_blank
        else:
            assert accounted == non_blank

    check()
    print(f"\n{name}: {TRIED[name]} generated inputs imported without error")
    assert TRIED[name] >= 25
