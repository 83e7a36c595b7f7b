"""Traffic sets and simulation runs round-trip on both backends."""

from __future__ import annotations

import math

import pytest

from policies.errors import PolicyError
from policies.storage import Store

SHA_A, SHA_B = "a" * 64, "b" * 64


def test_traffic_sets_register_once_and_list(store: Store) -> None:
    chat = store.register_traffic_set("chat", "sample_data/chat.jsonl", "jsonl", 1200, SHA_A)
    again = store.register_traffic_set("chat", "elsewhere/chat.jsonl", "jsonl", 1200, SHA_A)
    code = store.register_traffic_set("code", "s3://bucket/code.parquet", "parquet", 50, SHA_B)
    assert again == chat
    assert store.list_traffic_sets() == [chat, code]
    assert (chat.source, chat.format, chat.row_count, chat.sha256) == ("sample_data/chat.jsonl", "jsonl", 1200, SHA_A)


def test_changed_content_under_the_same_name_is_refused(store: Store) -> None:
    store.register_traffic_set("chat", "chat.jsonl", "jsonl", 10, SHA_A)
    with pytest.raises(PolicyError) as caught:
        store.register_traffic_set("chat", "chat.jsonl", "jsonl", 11, SHA_B)
    assert caught.value.findings[0].code == "storage.conflict"


def test_simulation_runs_round_trip(store: Store) -> None:
    traffic = store.register_traffic_set("chat", "chat.jsonl", "jsonl", 3, SHA_A)
    summary = {"accuracy": 0.75, "cost_usd": 1.5, "by_decision": {"math": 2, "default": 1}}
    decisions = [{"row": i, "decision": "math" if i < 2 else "default", "score": i / 3} for i in range(3)]
    saved = store.save_simulation_run("demo", summary, version=2, traffic_set_id=traffic.id, decisions=decisions)
    draft_run = store.save_simulation_run("demo", {"accuracy": 0.5})
    store.save_simulation_run("other", {"accuracy": 0.1})

    listed = store.list_simulation_runs("demo")
    assert listed == [saved, draft_run]
    assert (saved.version, saved.traffic_set_id, saved.has_decisions) == (2, traffic.id, True)
    assert (draft_run.version, draft_run.has_decisions) == (None, False)
    full = store.get_simulation_run(saved.id)
    assert full.summary == summary and full.decisions == decisions
    assert store.get_simulation_run(draft_run.id).decisions is None


def test_run_on_unknown_traffic_set_is_refused(store: Store) -> None:
    with pytest.raises(PolicyError, match="no traffic set with id 999"):
        store.save_simulation_run("demo", {}, traffic_set_id=999)
    assert store.list_simulation_runs("demo") == []


def test_values_that_are_not_json_are_refused_the_same_on_every_backend(store: Store) -> None:
    for summary in ({"accuracy": math.nan}, {"when": object()}):
        with pytest.raises(PolicyError) as caught:
            store.save_simulation_run("demo", summary)
        assert caught.value.findings[0].code == "storage.bad_value"
    assert store.list_simulation_runs("demo") == []


def test_missing_run_is_a_policy_error(store: Store) -> None:
    with pytest.raises(PolicyError, match="no simulation run"):
        store.get_simulation_run(12345)
