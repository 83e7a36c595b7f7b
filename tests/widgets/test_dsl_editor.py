"""DSL editor (and the Export view's DSL target): the policy's routing as DSL, both ways, with located compile errors and the user's text kept."""

from __future__ import annotations

import html

from widgets.dsl_editor import DslEditor
from widgets.export_view import ExportView
from widgets.state import PolicyState


def test_shows_the_routing_as_dsl_and_lists_what_it_leaves_out(state: PolicyState) -> None:
    editor = DslEditor(state=state, debounce_ms=0)
    editor.__panel__()
    assert editor.editor.value.startswith("ROUTING {") and "ROUTE long_documents" in editor.editor.value
    assert not editor.editor.readonly
    assert editor.omitted.visible and "providers" in editor.omitted.object


def test_typing_dsl_updates_the_policy_and_changes_one_line_of_yaml(state: PolicyState) -> None:
    editor = DslEditor(state=state, debounce_ms=0)
    before = state.text
    assert "  PRIORITY 300\n" in editor.editor.value
    typed = editor.editor.value.replace("  PRIORITY 300\n", "  PRIORITY 301\n", 1)
    editor.editor.value = typed
    assert state.policy.routing.decision("long_documents").priority == 301
    changed = [(a, b) for a, b in zip(before.splitlines(), state.text.splitlines()) if a != b]
    assert len(before.splitlines()) == len(state.text.splitlines()) and len(changed) == 1
    assert editor.editor.value == typed and not editor.status.visible


def test_builder_edits_re_render_the_dsl(state: PolicyState) -> None:
    editor = DslEditor(state=state, debounce_ms=0)
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 42
    state.apply_spec(spec)
    assert "  PRIORITY 42\n" in editor.editor.value


def test_broken_dsl_shows_line_and_column_and_keeps_the_text_and_the_policy(state: PolicyState) -> None:
    editor = DslEditor(state=state, debounce_ms=0)
    before = state.policy
    broken = editor.editor.value.replace("ROUTE long_documents", "ROUTES long_documents", 1)
    editor.editor.value = broken
    line = broken.splitlines().index(next(x for x in broken.splitlines() if x.startswith("ROUTES"))) + 1
    assert state.policy is before and editor.editor.value == broken
    shown = html.unescape(editor.status.object.replace("\\", ""))  # as rendered: md_text escapes
    assert editor.status.visible and f"cost_optimised.dsl:{line}:1: error: unknown keyword 'ROUTES'" in shown
    assert editor.editor.annotations[0]["row"] == line - 1
    editor.editor.value = broken.replace("ROUTES long_documents", "ROUTE long_documents", 1)
    assert not editor.status.visible and not editor.editor.annotations


def test_the_export_view_offers_the_dsl(state: PolicyState) -> None:
    view = ExportView(state=state)
    view.__panel__()
    view.format = "dsl"
    assert view.text.startswith("ROUTING {") and view.download.filename == "cost_optimised.dsl"
