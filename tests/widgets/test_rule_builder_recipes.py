"""Rule builder on recipes: each recipe's isolated routing is edited like the top level, in sync with the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from widgets import rule_builder as rb
from widgets.profiles import TOP_LEVEL, add_recipe, fresh_recipe_name, remove_recipe, rename_recipe, routing_spec
from widgets.rule_builder import RuleBuilder
from widgets.state import PolicyState

RECIPES = Path(__file__).resolve().parents[1] / "fixtures" / "conflicts" / "recipe_shadowed.yaml"


@pytest.fixture
def recipes() -> PolicyState:
    """A state with a policy whose recipe 'support' has its own signals and decisions."""
    s = PolicyState()
    assert s.open_text(RECIPES.read_text(), "recipe_shadowed")
    return s


def support(state: PolicyState):
    return next(r.routing for r in state.policy.recipes if r.name == "support")


def test_profile_selector_lists_the_top_level_and_each_recipe(recipes: PolicyState) -> None:
    builder = RuleBuilder(state=recipes)
    assert list(builder.profile_select.options.values()) == [TOP_LEVEL, "support"]
    assert builder.decision_select.options == ["", "coding", "fallback"]
    builder.profile_select.value = "support"
    assert builder.profile == "support"
    assert builder.decision_select.options == ["", "any_help", "urgent_help", "fallback"]
    assert not builder.delete_recipe_button.disabled


def test_editing_a_recipe_decision_changes_only_that_recipe(recipes: PolicyState) -> None:
    builder = RuleBuilder(state=recipes)
    builder.profile = "support"
    builder.decision_select.value = "urgent_help"
    assert builder.selected == "urgent_help" and recipes.selected_decision == ""  # the shared one is top-level only
    top_before = recipes.policy.routing.to_spec()
    builder.update_decision(priority=300)
    builder.edit_rules(lambda r: rb.negate(r, (0,)))
    decision = support(recipes).decision("urgent_help")
    assert decision.priority == 300 and decision.rules.conditions[0].op == "NOT"
    assert recipes.policy.routing.to_spec() == top_before
    recipe_yaml = recipes.text.split("recipes:", 1)[1]
    assert "priority: 300" in recipe_yaml and "operator: NOT" in recipe_yaml  # the YAML view follows
    assert len(builder.tree.objects) == 1 and builder.selected == "urgent_help"
    recipes.undo()
    recipes.undo()
    assert support(recipes).decision("urgent_help").priority == 100


def test_rename_inside_a_recipe_keeps_the_builder_selection(recipes: PolicyState) -> None:
    builder = RuleBuilder(state=recipes)
    builder.profile = "support"
    builder.select("any_help")
    builder.update_decision(name="general_help")
    assert builder.selected == "general_help" and support(recipes).decision("general_help") is not None


def test_recipe_leaves_and_signals_are_the_recipes_own(recipes: PolicyState) -> None:
    builder = RuleBuilder(state=recipes)
    builder.profile = "support"
    name = builder.new_decision()
    assert support(recipes).decision(name) is not None and recipes.policy.routing.decision(name) is None
    head = builder.tree.objects[0].objects[0]
    add_condition = next(w for w in head.objects if getattr(w, "label", "") == "+ condition")
    add_condition.clicks += 1
    leaf = support(recipes).decision(name).rules.conditions[1]  # after the new decision's empty condition
    assert (leaf.type, leaf.name) == ("keyword", "help")  # the recipe declares 'help'; the top level 'code'
    builder.signal_kind = "keyword"
    assert set(builder.signal_select.options.values()) == {"", "help", "help_now"}
    builder.signal_editor.set_value("name", "refund")
    builder.signal_editor.set_value("keywords", "refund\nmoney back")
    assert builder.apply_signal()
    assert support(recipes).find_signal("keyword", "refund").keywords == ["refund", "money back"]
    assert recipes.policy.routing.find_signal("keyword", "refund") is None
    builder.delete_signal()
    assert support(recipes).find_signal("keyword", "refund") is None


def test_new_recipe_copies_the_profile_shown_and_delete_is_undoable(recipes: PolicyState) -> None:
    builder = RuleBuilder(state=recipes)
    builder.recipe_name_input.value = "weekend"
    builder.new_recipe_button.clicks += 1
    assert builder.profile == "weekend" and builder.recipe_name_input.value == ""
    weekend = next(r.routing for r in recipes.policy.recipes if r.name == "weekend")
    assert weekend.to_spec() == recipes.policy.routing.to_spec()  # a copy of the top level, shown next
    assert builder.decision_select.options == ["", "coding", "fallback"]
    assert builder.new_recipe("weekend") == "" and "already exists" in recipes.message
    builder.delete_recipe_button.clicks += 1
    assert builder.profile == TOP_LEVEL and [r.name for r in recipes.policy.recipes] == ["support"]
    recipes.undo()
    assert [r.name for r in recipes.policy.recipes] == ["support", "weekend"]
    builder.profile = "weekend"
    recipes.undo()  # undoing the creation removes the recipe shown: the builder falls back to the top level
    assert builder.profile == TOP_LEVEL and list(builder.profile_select.options.values()) == [TOP_LEVEL, "support"]


def test_recipe_named_by_an_entrypoint_is_not_deleted(recipes: PolicyState) -> None:
    assert recipes.edit_text(recipes.text + "entrypoints:\n  - {model_names: [support-bot], recipe: support}\n")
    builder = RuleBuilder(state=recipes)
    builder.profile = "support"
    assert not builder.delete_recipe()
    assert "entrypoints[0]" in recipes.message and [r.name for r in recipes.policy.recipes] == ["support"]


def test_profile_spec_helpers() -> None:
    spec = {"routing": {"modelCards": [{"name": "m"}], "decisions": [{"name": "d"}]}}
    assert fresh_recipe_name(spec) == "recipe_1"
    add_recipe(spec, "recipe_1")
    assert spec["recipes"] == [{"name": "recipe_1", "routing": {"decisions": [{"name": "d"}]}}]  # no modelCards there
    routing_spec(spec, "recipe_1")["decisions"].append({"name": "e"})
    assert spec["routing"]["decisions"] == [{"name": "d"}]  # a deep copy, not shared
    assert fresh_recipe_name(spec) == "recipe_2"
    with pytest.raises(ValueError, match="needs a name"):
        add_recipe(spec, "  ")
    with pytest.raises(KeyError, match="nope"):
        routing_spec(spec, "nope")
    remove_recipe(spec, "recipe_1")
    assert "recipes" not in spec


def test_rename_recipe_moves_its_entrypoints_and_keeps_the_selection(recipes: PolicyState) -> None:
    assert recipes.edit_text(recipes.text + "entrypoints:\n  - {model_names: [support-bot], recipe: support}\n")
    builder = RuleBuilder(state=recipes)
    assert builder.rename_recipe_button.disabled  # the top level is not a recipe
    builder.profile = "support"
    builder.select("urgent_help")
    assert not builder.rename_recipe("  ") and "needs a name" in recipes.message
    assert builder.rename_recipe("helpdesk")
    assert [r.name for r in recipes.policy.recipes] == ["helpdesk"]
    assert "recipe: helpdesk" in recipes.text and "recipe: support" not in recipes.text  # nothing dangles
    assert builder.profile == "helpdesk" and builder.selected == "urgent_help"
    assert list(builder.profile_select.options.values()) == [TOP_LEVEL, "helpdesk"]
    assert not [f for f in recipes.findings if f.code == "unknown-recipe"]
    recipes.undo()
    assert [r.name for r in recipes.policy.recipes] == ["support"] and builder.profile == TOP_LEVEL


def test_rename_recipe_refuses_a_taken_name() -> None:
    spec = {"recipes": [{"name": "a", "routing": {}}, {"name": "b", "routing": {}}],
            "entrypoints": [{"recipe": "a"}, {"recipe": "b"}]}
    with pytest.raises(ValueError, match="already exists"):
        rename_recipe(spec, "a", "b")
    assert rename_recipe(spec, "a", " c ") == 1
    assert [r["name"] for r in spec["recipes"]] == ["c", "b"] and spec["entrypoints"] == [{"recipe": "c"}, {"recipe": "b"}]
    with pytest.raises(KeyError, match="nope"):
        rename_recipe(spec, "nope", "d")
