"""Live checks: validator and solver findings in one list, highlight, witness, and repair accept/reject."""

from __future__ import annotations

from pathlib import Path

import panel as pn
from panel.io.location import Location

from policies import Severity
from policies.conflicts import ConflictFinding, Repair, Report
from widgets.checks import SELECTED, ChecksPanel, check_items, spec_diff
from widgets.state import PolicyState


def shadowed(state: PolicyState) -> None:
    """Make 'everyday_code' also catch hard maths above 'hard_math'... by giving hard_math a lower priority."""
    spec = state.spec()
    spec["routing"]["decisions"][1]["priority"] = 50  # hard_math below everyday_code (100)
    spec["routing"]["decisions"][3]["rules"] = {"operator": "OR", "conditions": [
        {"type": "domain", "name": "code"}, {"type": "domain", "name": "math"}]}
    assert state.apply_spec(spec)


def test_conflicts_of_the_sample_are_listed_with_witness(state: PolicyState) -> None:
    checks = ChecksPanel(state=state, debounce_ms=0)
    checks.__panel__()
    overlap = next(it for it in checks.items if it.source == "conflict" and it.code == "overlap")
    checks.selected = overlap.key
    assert state.highlighted == overlap.decisions
    text = " ".join(getattr(o, "object", "") or "" for o in checks.detail.objects)
    assert "Witness request" in text


def test_edit_reruns_analysis_and_finds_shadowing(state: PolicyState) -> None:
    checks = ChecksPanel(state=state, debounce_ms=0)
    shadowed(state)
    kinds = {(it.code, tuple(it.decisions)) for it in checks.items if it.source == "conflict"}
    assert any("hard_math" in names and code in ("unreachable", "shadowed") for code, names in kinds), kinds


def test_validation_findings_name_their_decision_and_sort_first(state: PolicyState) -> None:
    checks = ChecksPanel(state=state, debounce_ms=0)
    state.edit_text(state.text.replace("{model: deepseek-r1, use_reasoning: true}", "{model: nope}"))
    first = checks.items[0]
    assert first.severity is Severity.ERROR and first.source == "validation"
    assert first.decisions == ["hard_math"]


def test_severity_filter_follows_state(state: PolicyState) -> None:
    checks = ChecksPanel(state=state, debounce_ms=0)
    state.severity = "error"
    assert checks.listing.options == {}
    checks.severity_filter.value = ""
    assert state.severity == "" and len(checks.listing.options) == len(checks.items)


def test_repair_preview_accept_and_reject(state: PolicyState) -> None:
    repaired = state.policy.copy_policy()
    repaired.routing.decisions[3].priority = 10
    finding = ConflictFinding("overlap", Severity.WARNING, "", ["everyday_code"], "demo", repairs=[
        Repair("reorder", "lower everyday_code", "", True, policy=repaired)])
    checks = ChecksPanel(state=state, debounce_ms=0, analyser=lambda p: Report(p, [], [finding]))
    checks.selected = f"c{finding.id}"
    preview = checks.detail.objects[-1]
    title, diff, buttons = preview.objects
    assert "proven local" in title.object
    assert "-    priority: 100" in diff.object and "+    priority: 10" in diff.object
    reject = buttons.objects[1]
    reject.clicks += 1
    assert not preview.visible and state.policy.routing.decision("everyday_code").priority == 100
    assert checks.accept_repair(0)
    assert state.policy.routing.decision("everyday_code").priority == 10
    assert state.can_undo and "Repair applied" in state.message
    state.undo()
    assert state.policy.routing.decision("everyday_code").priority == 100


def test_spec_diff_shows_the_change(state: PolicyState) -> None:
    other = state.policy.copy_policy()
    other.routing.decisions[0].priority = 7
    diff = spec_diff(state.policy, other)
    assert "-    priority: 300" in diff and "+    priority: 7" in diff


def test_analysis_failure_is_reported_not_raised(state: PolicyState) -> None:
    def broken(policy):
        raise RuntimeError("solver exploded")

    checks = ChecksPanel(state=state, debounce_ms=0, analyser=broken)
    assert "solver exploded" in checks.summary.object
    assert all(it.source == "validation" for it in check_items(state.findings, [], state.policy))


def test_engine_repairs_are_proposed_on_selection_and_accepted(state: PolicyState) -> None:
    checks = ChecksPanel(state=state, debounce_ms=0)
    overlap = next(it for it in checks.items if it.code == "overlap")
    checks.selected = overlap.key
    previews = [o for o in checks.detail.objects if isinstance(o, pn.Column)]
    assert previews, "an overlap has proven repairs (reorder, guard)"
    before = state.valid_text
    assert checks.accept_repair(0)
    assert state.valid_text != before and state.can_undo


# -- decision filter ---------------------------------------------------------------------------
RECIPES = Path(__file__).resolve().parents[1] / "fixtures" / "conflicts" / "recipe_shadowed.yaml"


def recipe_state() -> PolicyState:
    s = PolicyState()
    assert s.open_text(RECIPES.read_text(), "recipe_shadowed")
    return s


def test_decision_filter_offers_every_profile_and_narrows_the_list() -> None:
    state = recipe_state()
    checks = ChecksPanel(state=state, debounce_ms=0)
    values = list(checks.decision_select.options.values())
    assert values == ["", SELECTED, "coding", "fallback", "support/any_help", "support/urgent_help", "support/fallback"]
    checks.decision_select.value = "support/urgent_help"
    assert checks.decision_filter == "support/urgent_help"
    shown = checks.shown()
    assert shown and all(it.profile == "support" and "urgent_help" in it.decisions for it in shown)
    assert len(checks.listing.options) == len(shown) < len(checks.items)
    assert f"{len(shown)} shown by the filters" in checks.summary.object
    checks.decision_select.value = "fallback"  # the top-level fallback, not the recipe's
    assert all(it.profile == "" for it in checks.shown())


def test_a_recipe_finding_names_its_recipe_and_highlights_nothing_at_the_top_level() -> None:
    state = recipe_state()
    checks = ChecksPanel(state=state, debounce_ms=0)
    shadow = next(it for it in checks.items if it.code == "shadowed")
    assert shadow.profile == "support" and "recipe support" in shadow.label()
    checks.selected = shadow.key
    assert state.highlighted == []  # 'urgent_help' is not a top-level decision
    assert "(recipe support)" in " ".join(getattr(o, "object", "") or "" for o in checks.detail.objects)


def test_validator_findings_inside_a_recipe_name_their_decision() -> None:
    state = recipe_state()
    assert state.edit_text(state.text.replace("{model: m-b, use_reasoning: false}",
                                              "{model: nope, use_reasoning: false}"))
    checks = ChecksPanel(state=state, debounce_ms=0, analyser=None)
    assert "conflict analysis unavailable" in checks.summary.object
    bad = next(it for it in checks.items if it.source == "validation" and "nope" in it.message)
    assert (bad.profile, bad.decisions) == ("support", ["urgent_help"])
    assert bad.involves("support/urgent_help") and not bad.involves("urgent_help")


def test_selected_decision_filter_follows_the_workspace_selection(state: PolicyState) -> None:
    checks = ChecksPanel(state=state, debounce_ms=0)
    checks.decision_filter = SELECTED
    assert checks.shown() == []  # nothing selected yet
    state.selected_decision = "hard_math"
    assert checks.shown() and all("hard_math" in it.decisions for it in checks.shown())
    assert "selected decision (hard_math)" in checks.decision_select.options
    state.selected_decision = "everyday_code"
    assert checks.shown() and all("everyday_code" in it.decisions for it in checks.shown())
    state.severity = "error"  # both filters apply
    assert all(it.severity is Severity.ERROR for it in checks.shown())


def test_decision_filter_round_trips_through_the_url(state: PolicyState) -> None:
    location = Location(search="?checks_decision=hard_math&severity=warning")
    checks = ChecksPanel(state=state, debounce_ms=0)
    checks.sync_url(location)
    assert checks.decision_filter == "hard_math" and checks.decision_select.value == "hard_math"
    checks.decision_select.value = SELECTED
    assert location.query_params["checks_decision"] == SELECTED
    state.selected_decision = "long_documents"
    checks.decision_filter = "gone"  # a link to a decision that no longer exists: kept, listed, empty
    assert checks.shown() == [] and "gone (not in this policy)" in checks.decision_select.options


def test_witness_text_with_markup_shows_as_written() -> None:
    """A witness holds the policy's keywords: an HTML tag among them shows literally, not as markup."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "notebooks" / "policies" / "keyword_tiers.yaml").read_text()
    text = text.replace('keywords: [def , "```", function, class , import ]', 'keywords: ["<b>x</b>"]')
    state = PolicyState()
    assert state.open_text(text, "markup")
    checks = ChecksPanel(state=state, debounce_ms=0)
    checks.__panel__()
    shown = []
    for item in checks.items:
        if item.source == "conflict":
            checks.selected = item.key
            shown += [o.object for o in checks.detail.objects if "Witness request" in (getattr(o, "object", "") or "")]
    marked = [w for w in shown if "&lt;b&gt;x&lt;/b&gt;" in w]
    assert marked, shown  # some witness carries one of the keywords
    assert all("<b>x</b>" not in w for w in shown)
