"""YAML editor: text and model stay in sync both ways; inline markers come from the validator."""

from __future__ import annotations

from policies import Finding, Severity
from widgets.state import PolicyState
from widgets.yaml_editor import YamlEditor, annotations


def test_annotations_are_zero_based_and_skip_unlocated() -> None:
    found = [Finding("x", Severity.ERROR, "bad", line=3, column=5, suggestion="fix it"),
             Finding("y", Severity.WARNING, "meh")]
    assert annotations(found) == [{"row": 2, "column": 4, "type": "error", "text": "bad (fix: fix it)"}]


def test_typing_updates_the_model(state: PolicyState) -> None:
    editor = YamlEditor(state=state, debounce_ms=0)
    editor.__panel__()
    editor.editor.value = state.text.replace("priority: 300", "priority: 301")
    assert state.policy.routing.decision("long_documents").priority == 301


def test_model_edits_update_the_text(state: PolicyState) -> None:
    editor = YamlEditor(state=state, debounce_ms=0)
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 42
    state.apply_spec(spec)
    assert "priority: 42" in editor.editor.value


def test_broken_text_shows_error_and_marker_and_keeps_model(state: PolicyState) -> None:
    editor = YamlEditor(state=state, debounce_ms=0)
    before = state.policy
    editor.editor.value = state.text + "\nrouting: [\n"
    assert state.policy is before
    assert editor.status.visible and "last valid policy is kept" in editor.status.object
    assert editor.editor.annotations and editor.editor.annotations[0]["type"] == "error"
    editor.editor.value = state.valid_text
    assert not editor.status.visible


def test_validator_findings_become_markers(state: PolicyState) -> None:
    editor = YamlEditor(state=state, debounce_ms=0)
    editor.editor.value = state.text.replace("{type: domain, name: math}", "{type: domain, name: maths}")
    assert state.parse_errors == []
    rows = {a["row"] for a in editor.editor.annotations}
    line = next(i for i, text in enumerate(state.text.splitlines()) if "name: maths" in text)
    assert line in rows
