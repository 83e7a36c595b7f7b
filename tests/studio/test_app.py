"""The studio without a browser: configuration, initial policy, lazy tabs, drafts, extra tabs."""

from __future__ import annotations

from pathlib import Path

import panel as pn
import pytest

from policies.loader import loads_policy
from policies.storage import Store
from studio.app import build_app, lazy_tabs, open_initial, toolbar
from studio.config import StudioConfig, parse_args
from studio.drafts import DraftKeeper
from studio.extra_tabs import EXTRA_TABS, follow_policy
from widgets.state import PolicyState
from widgets.workspace import Workspace

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "policies"


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "app.sqlite") as s:
        yield s


def test_args() -> None:
    assert parse_args(["--db", "sqlite:///x.db", "--author", "kim", "--other"]) == StudioConfig("sqlite:///x.db", "kim")
    assert parse_args([]) == StudioConfig(None, "studio")


def test_build_app_opens_the_default_sample(store: Store) -> None:
    app = build_app(StudioConfig(), store=store)
    assert isinstance(app, pn.Column)
    tabs = app.objects[-1]
    assert [name for name in tabs._names][:6] == ["Workspace", "Builder", "YAML", "DSL", "Checks", "Export"]
    assert any("long_documents" in str(pane.object) for pane in tabs[0].select(pn.pane.HTML))
    assert tabs[1].objects == []  # built on first view
    tabs.active = 1
    assert tabs[1].objects


def test_lazy_tabs_build_once() -> None:
    calls: list[str] = []

    def page(name: str):
        return lambda: calls.append(name) or pn.pane.Markdown(name)

    tabs = lazy_tabs([("A", page("a")), ("B", page("b"))], active=1)
    tabs.active = 0
    tabs.active = 1
    assert calls == ["b", "a"]


def test_initial_policy_follows_the_url_values(store: Store) -> None:
    text = (SAMPLES / "safety_first.yaml").read_text()
    store.save_version("shared", text, "ana", "v1")
    state = PolicyState(policy_name="shared")
    open_initial(state, store)
    assert state.version == 1 and state.policy.same_as(loads_policy(text))
    other = PolicyState(policy_name="privacy_regulated")
    open_initial(other, store)
    assert other.policy_name == "privacy_regulated" and other.version == 0
    linked = PolicyState(policy_name="cost_optimised", selected_decision="hard_math")
    open_initial(linked, store)
    assert linked.selected_decision == "hard_math"
    unknown = PolicyState(policy_name="nope")
    open_initial(unknown, store)
    assert unknown.policy_name == "cost_optimised"


def test_drafts_survive_a_new_session_and_go_away_on_save(store: Store) -> None:
    first = PolicyState(sid="browser1")
    keeper = DraftKeeper(first, store)
    Workspace(state=first).open_sample("cost_optimised")
    assert store.get_draft("browser1", "cost_optimised") is None  # opening is not an edit
    spec = first.spec()
    spec["routing"]["decisions"][0]["priority"] = 333
    first.apply_spec(spec)
    assert store.get_draft("browser1", "cost_optimised").spec_yaml == first.valid_text

    second = PolicyState(sid="browser1")  # a reload: same browser id, fresh session
    DraftKeeper(second, store)
    Workspace(state=second).open_sample("cost_optimised")
    assert second.policy.routing.decision("long_documents").priority == 333
    assert "Restored your unsaved draft" in second.message

    stranger = PolicyState(sid="browser2")
    DraftKeeper(stranger, store)
    Workspace(state=stranger).open_sample("cost_optimised")
    assert stranger.policy.routing.decision("long_documents").priority == 300

    keeper.discard()
    assert store.get_draft("browser1", "cost_optimised") is None


def test_undo_to_the_opened_text_drops_the_draft(store: Store) -> None:
    state = PolicyState(sid="b")
    DraftKeeper(state, store)
    Workspace(state=state).open_sample("cost_optimised")
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 1
    state.apply_spec(spec)
    state.undo()
    assert store.get_draft("b", "cost_optimised") is None


@pytest.mark.parametrize("title, cls", EXTRA_TABS)
def test_extra_tabs_follow_the_session_policy(title: str, cls: type, store: Store) -> None:
    state = PolicyState()
    Workspace(state=state).open_sample("cost_optimised")
    widget = follow_policy(cls, state, {"store": store})
    assert widget.policy is state.policy
    if "store" in cls.param:
        assert widget.store is store
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 5
    state.apply_spec(spec)
    assert widget.policy is state.policy and widget.policy.routing.decision("long_documents").priority == 5


def test_toolbar_follows_undo_history_version_and_notices() -> None:
    state = PolicyState()
    bar = toolbar(state)
    (title, undo, redo), notice = bar[0].objects, bar[1]
    state.open_text((SAMPLES / "cost_optimised.yaml").read_text(), "cost_optimised")
    assert undo.disabled and redo.disabled and title.object == r"**cost\_optimised** (unsaved)"
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 7
    state.apply_spec(spec)
    assert not undo.disabled and redo.disabled
    undo.clicks += 1
    assert undo.disabled and not redo.disabled and state.policy.routing.decision("long_documents").priority == 300
    state.mark_saved(3)
    assert title.object == r"**cost\_optimised** v3" and not notice.visible
    state.message = "Saved."
    assert notice.visible and notice.object == r"Saved\."
