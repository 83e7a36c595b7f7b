"""Workspace: open from samples, files, uploads and stored versions; signals with users; precedence order."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.storage import Store
from widgets.state import PolicyState
from widgets.workspace import Workspace, precedence, sample_policies, signal_usage

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite") as s:
        yield s


def test_samples_are_listed() -> None:
    assert {"cost_optimised", "safety_first", "privacy_regulated", "multi_domain_experts"} <= set(sample_policies())


def test_open_sample_and_overview() -> None:
    ws = Workspace()
    ws.__panel__()
    assert ws.open_sample("cost_optimised")
    usage = {(kind, name): users for kind, name, users in signal_usage(ws.state.policy)}
    assert usage[("domain", "code")] == ["hard_stem_or_code", "everyday_code"]
    assert usage[("complexity", "difficulty")] == ["hard_math", "hard_stem_or_code"]
    assert [d.name for d in precedence(ws.state.policy)] == ["long_documents", "hard_math", "hard_stem_or_code",
                                                             "everyday_code"]
    html = ws.decisions_pane.object
    assert html.index("long_documents") < html.index("everyday_code")
    assert "<th>domain</th>" in ws.signals_pane.object


def test_precedence_follows_tier_before_priority(state: PolicyState) -> None:
    spec = state.spec()
    spec["routing"]["decisions"][3]["tier"] = -1
    state.apply_spec(spec)
    assert precedence(state.policy)[0].name == "everyday_code"


def test_open_path_and_missing_file(tmp_path: Path) -> None:
    ws = Workspace()
    assert ws.open_path(str(CONFIGS / "repository_layout.yaml"))
    assert ws.state.policy_name == "repository_layout" and ws.state.policy.dialect == "repository"
    assert ws.state.text == (CONFIGS / "repository_layout.yaml").read_text()  # kept as written
    assert "kept as written" in ws.state.message
    before = ws.state.policy
    assert not ws.open_path(str(tmp_path / "nope.yaml"))
    assert ws.state.policy is before and "no such file" in ws.state.message
    assert ws.notice.visible


def test_upload_of_a_kubernetes_pair_and_of_garbage() -> None:
    ws = Workspace()
    assert ws.open_upload((CONFIGS / "k8s_pair.yaml").read_bytes(), "pair.yaml")
    assert ws.state.policy_name == "pair" and ws.state.policy.decisions
    before = ws.state.policy
    ws.upload.param.update(filename="bad.yaml", value=b"\x00\x01binary")
    assert ws.state.policy is before and "binary" in ws.state.message


def test_open_stored_version(store: Store, cost_text: str) -> None:
    store.save_version("mine", cost_text, "me", "first")
    store.save_version("mine", cost_text.replace("priority: 300", "priority: 301"), "me", "second")
    ws = Workspace(store=store)
    ws.__panel__()
    assert ws.stored_select.options == ["", "mine"]
    ws.stored_select.value = "mine"
    assert list(ws.version_select.options.values()) == [2, 1]
    ws.version_select.value = 1
    ws.open_version_button.clicks += 1
    assert ws.state.policy_name == "mine" and ws.state.version == 1
    assert ws.state.policy.routing.decision("long_documents").priority == 300
    assert not ws.open_version("mine", 9) and "no version 9" in ws.state.message


def test_selecting_a_decision(state: PolicyState) -> None:
    ws = Workspace(state=state)
    ws.decision_select.value = "hard_math"
    assert state.selected_decision == "hard_math"
    assert "rs-selected" in ws.decisions_pane.object
