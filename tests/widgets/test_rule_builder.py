"""Rule builder: decisions and nested AND/OR/NOT trees built without YAML, reflected in the text."""

from __future__ import annotations

import pytest

from policies.validation.schema import schema_document
from widgets import rule_builder as rb
from widgets.rule_builder import RuleBuilder
from widgets.state import PolicyState


def leaf(name: str) -> dict:
    return {"type": "domain", "name": name}


def test_tree_operations_on_spec_dicts() -> None:
    root = {"operator": "AND", "conditions": [leaf("a"), leaf("b")]}
    rb.add_child(root, (), {"operator": "OR", "conditions": [leaf("c")]})
    rb.add_child(root, (2,), leaf("d"))
    assert rb.node_at(root, (2, 1)) == leaf("d")
    assert rb.move(root, (0,), +1) == (1,)
    assert [c.get("name") for c in root["conditions"][:2]] == ["b", "a"]
    assert rb.move(root, (0,), -1) == (0,)  # already first: unchanged
    root = rb.negate(root, (1,))
    assert root["conditions"][1] == {"operator": "NOT", "conditions": [leaf("a")]}
    root = rb.negate(root, (1,))
    assert root["conditions"][1] == leaf("a")
    rb.remove(root, (2, 0))
    assert root["conditions"][2]["conditions"] == [leaf("d")]
    assert rb.negate(root, ())["operator"] == "NOT"
    assert rb.as_group(None) == {"operator": "AND", "conditions": []}
    assert rb.as_group(leaf("x")) == {"operator": "AND", "conditions": [leaf("x")]}


def test_build_a_decision_without_yaml(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.__panel__()
    name = builder.new_decision()
    assert state.selected_decision == name
    fresh = state.policy.routing.decision(name)
    assert not fresh.is_catch_all and rb.is_incomplete(fresh.rules.conditions[0].to_spec())
    assert builder.tree.select(lambda o: "rb-incomplete" in getattr(o, "css_classes", []))
    builder.update_decision(priority=250, tier=1)
    builder.edit_rules(lambda r: rb.node_at(r, (0,)).update(leaf("math")))  # the empty condition, filled in
    builder.edit_rules(lambda r: rb.add_child(r, (), {"operator": "OR", "conditions": [leaf("stem"), leaf("code")]}))
    builder.edit_rules(lambda r: rb.negate(r, (1,)))
    builder.set_models(["deepseek-r1", "qwen3-32b"])
    builder.update_model_ref(0, use_reasoning=True)
    builder.set_algorithm("confidence")
    builder.set_plugins(["system_prompt"])
    decision = state.policy.routing.decision(name)
    first, second = decision.rules.conditions
    assert decision.rules.op == "AND" and (first.type, first.name) == ("domain", "math")
    assert second.op == "NOT" and second.conditions[0].op == "OR"
    assert [c.name for c in second.conditions[0].conditions] == ["stem", "code"]
    assert (decision.priority, decision.tier) == (250, 1)
    assert decision.models() == ["deepseek-r1", "qwen3-32b"]
    assert [r.use_reasoning for r in decision.model_refs] == [True, False]  # per model, not all at once
    assert decision.algorithm.type == "confidence" and decision.plugins[0].type == "system_prompt"
    assert f"name: {name}" in state.text  # the YAML view follows
    assert len(builder.tree.objects) == 1  # the tree re-rendered for the selected decision


def test_rename_keeps_selection_and_undo_walks_back(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.new_decision("fresh")
    builder.update_decision(name="renamed")
    assert state.selected_decision == "renamed"
    assert state.policy.routing.decision("renamed") is not None
    state.undo()
    assert state.policy.routing.decision("fresh") is not None
    state.undo()
    assert state.policy.routing.decision("fresh") is None


def test_delete_decision(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    state.selected_decision = "everyday_code"
    builder.delete_decision()
    assert [d.name for d in state.policy.decisions] == ["long_documents", "hard_math", "hard_stem_or_code"]


def test_buttons_drive_the_tree(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.new_decision("clicked")
    group = builder.tree.objects[0]
    add_condition = next(w for w in group.objects[0].objects if getattr(w, "label", "") == "+ condition")
    add_condition.clicks += 1
    rules = state.policy.routing.decision("clicked").rules
    assert len(rules.conditions) == 2 and rules.conditions[1].is_leaf and rules.conditions[1].name  # a declared signal


def test_signal_editor_adds_and_edits_a_signal(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.signal_kind = "keyword"
    builder.signal_editor.set_value("name", "urgent")
    builder.signal_editor.set_value("keywords", "asap\nurgent")
    builder.signal_editor.set_value("operator", "OR")
    assert builder.apply_signal()
    signal = state.policy.routing.find_signal("keyword", "urgent")
    assert signal.keywords == ["asap", "urgent"] and signal.operator == "OR"
    assert builder.signal_name == "urgent"
    builder.signal_editor.set_value("keywords", "now")
    assert builder.apply_signal()
    assert state.policy.routing.find_signal("keyword", "urgent").keywords == ["now"]
    builder.delete_signal()
    assert state.policy.routing.find_signal("keyword", "urgent") is None


def test_nameless_signal_is_refused(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    assert not builder.apply_signal({"keywords": ["x"]})
    assert "name" in state.message


@pytest.mark.parametrize("kind", ["context", "pii", "domain", "complexity"])
def test_declared_leaves_name_what_a_leaf_may_reference(state: PolicyState, kind: str) -> None:
    declared = {"context": "long_context", "domain": "math", "complexity": "difficulty:easy"}
    leaves = rb.declared_leaves(state.policy.routing.all_signals())
    assert leaves.get(kind, [None])[0] == declared.get(kind)


# -- model references, one row each ----------------------------------------------------------
def ref_rows(builder: RuleBuilder) -> list:
    """The per-model rows of the decision form, freshly rendered."""
    refs = next(o for o in builder.form.objects if "rb-model-refs" in (o.css_classes or []))
    return refs.objects


def control(row, css: str):
    return next(w for w in row.objects if css in (w.css_classes or []))


def test_each_model_reference_is_edited_on_its_own(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    state.selected_decision = "hard_math"
    builder.set_models(["deepseek-r1", "qwen3-32b"])
    first, second = ref_rows(builder)
    families = schema_document()["x-routing-studio"]["reasoning_families"]
    assert control(first, "rb-ref-effort").options == ["", *families["deepseek"]["levels"]]
    assert control(first, "rb-ref-mode").options == ["", *families["deepseek"]["modes"]]
    assert control(second, "rb-ref-effort").disabled  # qwen3 switches thinking on/off and takes no effort
    control(second, "rb-ref-reasoning").value = True
    control(ref_rows(builder)[0], "rb-ref-reasoning").value = False
    refs = state.policy.routing.decision("hard_math").model_refs
    assert [(r.model, r.use_reasoning) for r in refs] == [("deepseek-r1", False), ("qwen3-32b", True)]
    control(ref_rows(builder)[0], "rb-ref-reasoning").value = True
    control(ref_rows(builder)[0], "rb-ref-effort").value = "high"
    assert state.policy.routing.decision("hard_math").model_refs[0].reasoning_effort == "high"
    assert "reasoning_effort: high" in state.text  # the YAML view follows
    control(ref_rows(builder)[0], "rb-ref-effort").value = ""
    assert state.policy.routing.decision("hard_math").model_refs[0].reasoning_effort is None
    assert "reasoning_effort" not in state.text
    state.undo()
    assert state.policy.routing.decision("hard_math").model_refs[0].reasoning_effort == "high"


def test_contradicting_reasoning_settings_show_up_as_live_findings(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    state.selected_decision = "hard_math"
    assert not [f for f in state.findings if f.code == "reasoning-control"]
    control(ref_rows(builder)[0], "rb-ref-effort").value = "max"
    control(ref_rows(builder)[0], "rb-ref-reasoning").value = False
    problems = [f for f in state.findings if f.code == "reasoning-control"]
    assert problems and problems[0].path[-1] == "reasoning_effort"


def test_model_reference_keys_the_row_does_not_show_are_kept(state: PolicyState) -> None:
    custom = ("{model: deepseek-r1, use_reasoning: true, reasoning_effort: turbo, reasoning_description: proofs, "
              "x_note: keep me}")
    assert state.edit_text(state.text.replace("{model: deepseek-r1, use_reasoning: true}", custom))
    builder = RuleBuilder(state=state)
    state.selected_decision = "hard_math"
    effort = control(ref_rows(builder)[0], "rb-ref-effort")
    assert effort.value == "turbo" and "turbo" in effort.options  # not a deepseek level, still shown as written
    control(ref_rows(builder)[0], "rb-ref-effort").value = "low"
    row = ref_rows(builder)[0]
    next(w for w in row.objects if getattr(w, "label", "") == "LoRA").value = "maths-lora"
    next(w for w in ref_rows(builder)[0].objects if getattr(w, "label", "") == "weight").value = 0.7
    ref = state.policy.routing.decision("hard_math").model_refs[0]
    assert (ref.reasoning_effort, ref.lora_name, ref.weight) == ("low", "maths-lora", 0.7)
    assert ref.reasoning_description == "proofs" and ref.extra_fields() == {"x_note": "keep me"}
    assert "x_note: keep me" in state.text


def test_an_input_edit_keeps_the_form_and_tree_in_place(state: PolicyState) -> None:
    """Editing through one input must not replace the others: a pick made in an input that a
    re-render replaces meanwhile is lost in the browser. Structural edits and undo still rebuild."""
    builder = RuleBuilder(state=state)
    state.selected_decision = "hard_math"
    form, tree = list(builder.form.objects), list(builder.tree.objects)
    priority = next(w for w in form[0].objects if getattr(w, "label", "") == "Priority")
    priority.value = 321
    assert state.policy.routing.decision("hard_math").priority == 321 and "priority: 321" in state.text
    control(ref_rows(builder)[0], "rb-ref-reasoning").value = True
    leaf_name = tree[0].objects[1].objects[0].objects[1]  # the first leaf's signal name
    other = next(n for n in leaf_name.options if n != leaf_name.value)
    leaf_name.value = other
    assert state.policy.routing.decision("hard_math").rules.conditions[0].name == other
    name = next(w for w in form[0].objects if getattr(w, "label", "") == "Name")
    name.value = "hard_math_v2"  # a rename: selection follows, the form stays
    assert state.selected_decision == "hard_math_v2" and builder.decision_select.value == "hard_math_v2"
    assert builder.form.objects == form and builder.tree.objects == tree  # the same inputs, not rebuilt
    builder.set_models(["deepseek-r1", "qwen3-32b"])  # one row per model: the form is rebuilt
    assert builder.form.objects != form and len(ref_rows(builder)) == 2
    rebuilt = list(builder.form.objects)
    state.undo()
    assert builder.form.objects != rebuilt
    assert next(w for w in builder.form.objects[0].objects if getattr(w, "label", "") == "Priority").value == 321
    assert next(w for w in builder.form.objects[0].objects if getattr(w, "label", "") == "Name").value == "hard_math_v2"


def test_rank_follows_the_priority_as_it_changes(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.new_decision("fresh")  # priority 100 among cost_optimised's 300, 200, 150, 100
    first = builder.rank.object
    builder.update_decision(priority=1000)
    assert builder.rank.object.startswith("Rank 1 of 5, tried first") and first != builder.rank.object
    builder.update_decision(priority=160)
    assert builder.rank.object.startswith("Rank 3 of 5") and "after <b>hard_math</b>" in builder.rank.object


def test_a_not_group_offers_to_remove_its_not_and_no_second_not(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.new_decision("negated")
    builder.edit_rules(lambda r: rb.node_at(r, (0,)).update(leaf("math")))
    builder.edit_rules(lambda r: rb.negate(r, (0,)))
    not_group = builder.tree.objects[0].objects[1].objects[0]
    labels = [getattr(w, "label", None) for w in not_group.objects[0].objects]
    assert "NOT" not in labels and "Remove NOT" in labels
    next(w for w in not_group.objects[0].objects if getattr(w, "label", "") == "Remove NOT").clicks += 1
    assert state.policy.routing.decision("negated").rules.conditions[0].name == "math"


def test_delete_is_disabled_without_a_decision_and_looks_it(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.select("")
    assert builder.delete_button.disabled and rb.DISABLED_CSS in builder.delete_button.stylesheets
    builder.select("hard_math")
    assert not builder.delete_button.disabled


def test_signal_form_shows_required_fields_first_and_folds_the_rest(state: PolicyState) -> None:
    builder = RuleBuilder(state=state)
    builder.signal_kind = "keyword"
    form = builder.signal_editor.__panel__()
    shown = [w.name for w in form.objects if isinstance(w, rb.pn.widgets.Widget)]
    folded = next(w for w in form.objects if isinstance(w, rb.pn.Card))
    assert shown == ["name", "keywords (one per line)", "operator"]  # what the router refuses a keyword rule without
    assert folded.collapsed and len(folded.objects) == len(builder.signal_editor._inputs) - 3
