"""PolicyState: text is the source of truth, bad text never replaces the model, undo/redo spans both views."""

from __future__ import annotations

from pathlib import Path

from policies.loader import load_policy
from widgets.state import PolicyState

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"


def test_open_keeps_text_and_loads_policy(state: PolicyState, cost_text: str) -> None:
    assert state.text == state.valid_text == state.opened_text == cost_text
    assert [d.name for d in state.policy.decisions][:2] == ["long_documents", "hard_math"]
    assert state.findings == [] and state.parse_errors == []
    assert not state.can_undo and not state.can_redo


def test_broken_text_reports_error_and_keeps_model(state: PolicyState) -> None:
    before = state.policy
    assert not state.edit_text(state.text + "\n  oops: [\n")
    assert state.policy is before
    assert state.parse_errors and state.parse_errors[0].code == "yaml-syntax"
    assert state.parse_errors[0].line is not None
    assert state.valid_text != state.text
    assert not state.can_undo  # a failed parse is not an undo step


def test_failed_open_keeps_the_open_policy(state: PolicyState) -> None:
    before = state.policy
    assert not state.open_text("routing: [", "broken")
    assert state.policy is before and state.policy_name == "cost_optimised"
    assert "YAML syntax error" in state.message
    assert not state.open_text(b"\xff\xfe\x00garbage", "binary")
    assert state.policy is before and "binary" in state.message


def test_undo_redo_across_text_and_spec_edits(state: PolicyState) -> None:
    original = state.valid_text
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 999
    assert state.apply_spec(spec)
    visual = state.valid_text
    assert state.policy.routing.decision("long_documents").priority == 999
    typed = visual.replace("priority: 999", "priority: 998")
    assert state.edit_text(typed)
    state.undo()
    assert state.valid_text == visual and state.text == visual
    state.undo()
    assert state.valid_text == original
    assert not state.can_undo and state.can_redo
    state.redo()
    state.redo()
    assert state.policy.routing.decision("long_documents").priority == 998
    assert not state.can_redo


def test_spec_is_a_private_copy(state: PolicyState) -> None:
    spec = state.spec()
    spec["routing"]["decisions"].clear()
    assert len(state.policy.decisions) == 4


def test_imported_layout_opens_as_canonical_yaml() -> None:
    s = PolicyState()
    assert s.open_text((CONFIGS / "k8s_pair.yaml").read_text(), "pair")
    assert s.policy.dialect == "canonical"
    assert "kubernetes" in s.message.lower()
    assert s.policy.same_as(load_policy(CONFIGS / "k8s_pair.yaml"))


def test_validation_findings_are_located(state: PolicyState) -> None:
    assert state.edit_text(state.text.replace("{model: deepseek-r1, use_reasoning: true}",
                                              "{model: no-such-model, use_reasoning: true}"))
    codes = {f.code for f in state.findings}
    assert codes, "an unknown model must be reported"
    assert all(f.line for f in state.findings if f.path)


def test_url_query_lists_shareable_values(state: PolicyState) -> None:
    state.param.update(tab="checks", selected_decision="hard_math", sid="abc")
    assert state.url_query() == {"policy": "cost_optimised", "tab": "checks", "decision": "hard_math", "sid": "abc"}
