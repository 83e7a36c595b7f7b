"""The studio keeps the user's file as written (issue 13, item 3): builder edits, a repair from the
checks and undo, in sequence, change only their own lines of the text the YAML view shows; drafts
and stored versions keep that text, comments included."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.storage import Store
from studio.drafts import DraftKeeper
from tests.yaml_text import UPSTREAM, commented, comments, needs_upstream
from widgets.checks import ChecksPanel
from widgets.rule_builder import RuleBuilder
from widgets.state import PolicyState


SAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "policies"


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "drafts.sqlite") as s:
        yield s


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(old, new) for each line that differs, for texts with the same number of lines."""
    assert len(before.splitlines()) == len(after.splitlines())
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]


def test_builder_edits_repair_and_undo_in_sequence(store: Store) -> None:
    original = commented((SAMPLES / "cost_optimised.yaml").read_text())
    state = PolicyState(sid="browser1")
    DraftKeeper(state, store)
    assert state.open_text(original.encode(), "cost_optimised")
    assert state.text == original  # opened as written

    builder = RuleBuilder(state=state)
    builder.signal_kind, builder.signal_name = "complexity", "difficulty"
    builder.signal_editor.set_value("threshold", 0.3)
    assert builder.apply_signal()
    threshold = state.text
    assert changed_lines(original, threshold) == [("        threshold: 0.1  # c48", "        threshold: 0.3  # c48")]

    builder.select("hard_math")
    builder.update_decision(priority=210)
    priority = state.text
    assert changed_lines(threshold, priority) == [("      priority: 200  # c63", "      priority: 210  # c63")]
    assert store.get_draft("browser1", "cost_optimised").spec_yaml == priority  # the draft is the file, comments and all

    checks = ChecksPanel(state=state, debounce_ms=0)
    overlap = next(it for it in checks.items if it.code == "overlap")
    checks.selected = overlap.key
    assert checks.accept_repair(0), "the sample's overlap has a proven repair"
    repaired = state.text
    assert comments(repaired) == comments(original)
    gone = [line for line in priority.splitlines() if line not in repaired.splitlines()]
    assert len(gone) <= 1, gone  # at most the priority line a reorder moves; the rest is added
    assert len(repaired.splitlines()) - len(priority.splitlines()) < 8

    builder.select("everyday_code")  # one more edit on top of the repair
    builder.update_decision(description="Routine coding help, kept local.")
    described = state.text
    old = "      description: Routine coding help stays on the cheap local model.  # c81"
    new = "      description: Routine coding help, kept local."
    # the comment keeps its column, as comments aligned in a column stay aligned
    assert changed_lines(repaired, described) == [(old, f"{new:<{old.index('#')}}# c81")]

    for expected in (repaired, priority, threshold, original):  # undo walks back through the very texts
        state.undo()
        assert state.text == expected
    assert not state.can_undo
    state.redo()
    assert state.text == threshold


@needs_upstream
def test_a_router_recipe_opens_as_written_and_edits_in_place() -> None:
    path = UPSTREAM / "recipes" / "privacy" / "config.yaml"
    original = path.read_text()
    state = PolicyState()
    assert state.open_text(path.read_bytes(), "privacy")
    assert state.text == original and state.policy.dialect == "repository"
    decision = state.policy.decisions[0]
    builder = RuleBuilder(state=state)
    builder.select(decision.name)
    builder.update_decision(priority=decision.priority ^ 1)
    line, _ = state.policy.position(("routing", "decisions", 0, "priority"))
    old = original.splitlines()[line - 1]
    assert changed_lines(original, state.text) == [(old, old.replace(str(decision.priority), str(decision.priority ^ 1)))]
    assert comments(state.text) == comments(original)


@needs_upstream
def test_an_edit_that_cannot_keep_the_layout_says_so_and_undo_restores_the_file() -> None:
    """The repository layout writes ``default_model`` where the canonical one has ``defaults.model``."""
    path = UPSTREAM / "recipes" / "privacy" / "config.yaml"
    state = PolicyState()
    assert state.open_text(path.read_bytes(), "privacy")
    spec = state.spec()
    spec["providers"]["defaults"]["model"] = spec["providers"]["models"][1]["name"]
    assert state.apply_spec(spec)
    assert state.policy.default_model == spec["providers"]["models"][1]["name"]
    assert "could not keep your file's own layout (the file has no 'model'" in state.message
    state.undo()
    assert state.text == path.read_text()
