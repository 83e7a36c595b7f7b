"""Versions: save with author and message, history, diff any two, restore, runs and traffic sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.storage import Store
from widgets.state import PolicyState
from widgets.versions import VersionsView


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "v.sqlite") as s:
        yield s


def bump(state: PolicyState, priority: int) -> None:
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = priority
    assert state.apply_spec(spec)


def test_save_diff_restore(state: PolicyState, store: Store) -> None:
    view = VersionsView(state=state, store=store, author="ana")
    view.__panel__()
    assert "Not saved yet" in view.history.object
    assert view.save("first") == 1
    assert state.version == 1 and state.opened_text == state.valid_text
    bump(state, 301)
    view.message_input.value = "raise long docs"
    view.save_button.clicks += 1
    assert view.last_saved == 2
    assert "raise long docs" in view.history.object and "ana" in view.history.object
    assert "+      priority: 301" in view.diff_pane.object  # the file's own indentation: only that line changed
    assert view.restore(1)
    assert state.version == 3 and state.policy.routing.decision("long_documents").priority == 300
    assert [v.message for v in store.list_versions("cost_optimised")] == ["first", "raise long docs", "restore v1"]


def test_runs_and_traffic_sets_are_shown(state: PolicyState, store: Store) -> None:
    traffic = store.register_traffic_set("june", "/data/june.jsonl", "openai", 120, "ab" * 32)
    store.save_simulation_run("cost_optimised", {"requests": 120, "cost_usd": 1.5}, traffic_set_id=traffic.id)
    view = VersionsView(state=state, store=store)
    assert "requests=120" in view.runs.object and "june" in view.runs.object and "draft" in view.runs.object


def test_messages_are_escaped(state: PolicyState, store: Store) -> None:
    view = VersionsView(state=state, store=store)
    view.save("<script>alert(1)</script>")
    assert "<script>" not in view.history.object
