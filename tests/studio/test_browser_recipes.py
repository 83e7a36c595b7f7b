"""In the served studio: create a recipe in the builder, edit one of its decisions visually, see the YAML follow;
and the checks' decision filter read from and written to the URL."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest
import yaml
from test_browser import open_studio, tab, yaml_text  # the studio helpers of the main browser test

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=30_000)  # the machine is shared: give re-renders time

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def decision(spec: dict[str, Any], name: str, recipe: str | None = None) -> dict[str, Any]:
    routing = spec["routing"] if recipe is None else next(r for r in spec["recipes"] if r["name"] == recipe)["routing"]
    return next(d for d in routing["decisions"] if d["name"] == name)


def yaml_once(page: Any, needle: str, timeout_ms: int = 30_000) -> str:
    """The YAML view's text once it contains ``needle`` (a builder edit reaches it after a round trip)."""
    text, waited = yaml_text(page), 0
    while needle not in text and waited < timeout_ms:
        page.wait_for_timeout(250)
        text, waited = yaml_text(page), waited + 250
    return text


def test_edit_a_recipe_decision_visually(page: Any, studio: str, screenshot: Callable) -> None:
    open_studio(page, studio)
    tab(page, "Builder")
    page.get_by_label("Recipe name").fill("weekend")
    page.get_by_label("Recipe name").press("Tab")
    page.get_by_role("button", name="New recipe (copy of this profile)").click()
    expect(page.locator(".rb-profile select")).to_have_value("recipe: weekend")  # bokeh values are labels
    page.get_by_label("Decision", exact=True).select_option("hard_math")
    expect(page.get_by_label("Name", exact=True)).to_have_value("hard_math")
    page.get_by_label("Priority").fill("260")
    page.get_by_label("Priority").press("Tab")
    yaml_once(page, "priority: 260")
    tab(page, "Builder")
    page.locator(".rb-ref-effort select").first.select_option("high")
    expect(page.locator(".rb-ref-effort select").first).to_have_value("high")
    screenshot(page, "builder_recipe_decision")

    spec = yaml.safe_load(yaml_once(page, "reasoning_effort: high"))
    edited = decision(spec, "hard_math", recipe="weekend")
    assert edited["priority"] == 260
    assert edited["modelRefs"] == [{"model": "deepseek-r1", "use_reasoning": True, "reasoning_effort": "high"}]
    assert decision(spec, "hard_math")["priority"] == 200  # the top-level routing is untouched
    assert "reasoning_effort" not in decision(spec, "hard_math")["modelRefs"][0]
    screenshot(page, "builder_recipe_yaml_in_sync")

    tab(page, "Builder")
    page.get_by_label("Recipe name").fill("weekend_v2")
    page.get_by_label("Recipe name").press("Tab")
    page.get_by_role("button", name="Rename recipe").click()
    expect(page.locator(".rb-profile select")).to_have_value("recipe: weekend_v2")
    expect(page.get_by_label("Name", exact=True)).to_have_value("hard_math")  # still editing the same decision
    renamed = yaml.safe_load(yaml_once(page, "name: weekend_v2"))
    assert [r["name"] for r in renamed["recipes"]] == ["weekend_v2"]


def test_checks_decision_filter_lives_in_the_url(page: Any, studio: str, screenshot: Callable) -> None:
    page.goto(f"{studio}?tab=checks&checks_decision=hard_math")  # a shared link straight to the checks
    choice = page.locator(".checks-decision select")
    expect(choice).to_have_value("hard_math")  # read back from the link
    listing = page.locator(".checks-list option")
    expect(listing.first).to_contain_text("hard_math")
    assert all("hard_math" in text for text in listing.all_inner_texts())
    choice.select_option("everyday_code")
    expect(page).to_have_url(re.compile("checks_decision=everyday_code"))
    expect(listing.first).to_contain_text("everyday_code")
    screenshot(page, "checks_decision_filter")
