"""The studio in headless Chromium: build, check, repair, export, reload, two sessions, bad input."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from policies import Severity
from policies.loader import load_policy
from policies.validation import validate_policy

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=30_000)  # the machine is shared: give re-renders time

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_studio(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("table.rs-decisions").wait_for()  # the workspace of the opened policy is painted


def tab(page: Any, name: str) -> None:
    page.locator(".bk-tab", has_text=re.compile(f"^{name}$")).click()


def yaml_text(page: Any) -> str:
    """What the Ace editor holds (its full document, not just the rows on screen)."""
    tab(page, "YAML")
    page.locator(".ace_content").wait_for()
    return page.locator(".ace_editor").first.evaluate("el => el.env.editor.getValue()")


def replace_yaml(page: Any, text: str) -> None:
    tab(page, "YAML")
    page.locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def build_decision(page: Any) -> None:
    """New decision with one context condition, all through the builder."""
    tab(page, "Builder")
    page.get_by_role("button", name="New decision").click()
    page.locator(".rb-incomplete").wait_for()  # a new decision starts with one condition to fill in
    page.locator(".rb-leaf-type select").first.select_option("context")
    expect(page.locator(".rb-leaf-name select").first).to_have_value("long_context")  # the tree re-rendered


def test_build_a_decision_without_typing_yaml(page: Any, studio: str, screenshot: Callable) -> None:
    open_studio(page, studio)
    build_decision(page)
    page.get_by_role("button", name="NOT").nth(1).click()  # negate the new condition
    page.locator(".rb-group b", has_text="NOT").wait_for()
    page.get_by_label("Priority").fill("120")
    page.get_by_label("Priority").press("Tab")
    expect(page).to_have_url(re.compile("decision=new_decision_1"))
    screenshot(page, "builder_new_decision")
    text = yaml_text(page)
    assert "name: new_decision_1" in text and "priority: 120" in text
    decision = next(d for d in yaml.safe_load(text)["routing"]["decisions"] if d["name"] == "new_decision_1")
    assert decision["rules"] == {"operator": "AND", "conditions": [  # written in the file's own (flow) style
        {"operator": "NOT", "conditions": [{"type": "context", "name": "long_context"}]}]}, text
    assert "policy=cost_optimised" in page.url and "decision=new_decision_1" in page.url
    screenshot(page, "builder_yaml_in_sync")

    tab(page, "Builder")  # renaming by typing keeps the decision selected and its editor open
    page.get_by_label("Name", exact=True).fill("long_prompts")
    page.get_by_label("Name", exact=True).press("Tab")
    expect(page).to_have_url(re.compile("decision=long_prompts"))
    expect(page.get_by_label("Decision", exact=True)).to_have_value("long_prompts")
    expect(page.get_by_label("Priority")).to_have_value("120")
    assert "name: long_prompts" in yaml_text(page)


def test_conflict_witness_and_repair(page: Any, studio: str, screenshot: Callable) -> None:
    open_studio(page, studio)
    tab(page, "Checks")
    listing = page.locator(".checks-list select")
    listing.wait_for()
    option = listing.locator("option", has_text="overlap").first
    listing.select_option(option.get_attribute("value"))
    page.get_by_text("Witness request").wait_for()
    page.get_by_role("button", name="Accept repair").first.wait_for()
    screenshot(page, "checks_witness_and_repair")
    before = yaml_text(page)
    tab(page, "Checks")
    page.get_by_role("button", name="Accept repair").first.click()
    page.get_by_text("Repair applied").wait_for()
    after = yaml_text(page)
    assert after != before
    screenshot(page, "checks_repair_applied")


def test_export_writes_a_valid_file(page: Any, studio: str, screenshot: Callable, tmp_path: Path) -> None:
    open_studio(page, studio)
    tab(page, "Export")
    target = tmp_path / "router.yaml"
    page.get_by_placeholder("/tmp/router.yaml").fill(str(target))
    page.get_by_placeholder("/tmp/router.yaml").press("Enter")
    page.get_by_role("button", name="Write file").click()
    page.get_by_text(f"Wrote {target}").wait_for()
    screenshot(page, "export_written")
    errors = [f for f in validate_policy(load_policy(target)) if f.severity is Severity.ERROR]
    assert errors == []


def test_reload_finds_the_draft(page: Any, studio: str, screenshot: Callable) -> None:
    open_studio(page, studio)
    build_decision(page)
    expect(page).to_have_url(re.compile("sid="))
    url = page.url
    page.goto(url)  # a reload of the same URL (it carries the browser's draft id)
    page.get_by_text("Restored your unsaved draft").wait_for()
    expect(page.get_by_label("Name", exact=True)).to_have_value("new_decision_1")  # URL reselected it
    tab(page, "Workspace")
    expect(page.locator("table.rs-decisions")).to_contain_text("new_decision_1")
    screenshot(page, "reload_restores_draft")


def test_two_sessions_edit_different_policies(browser: Any, studio: str, screenshot: Callable) -> None:
    pages = []
    for name in ("cost_optimised", "safety_first"):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        p = context.new_page()
        p.set_default_timeout(20_000)
        open_studio(p, f"{studio}?policy={name}")
        pages.append(p)
    a, b = pages
    build_decision(a)
    tab(b, "Builder")
    b.get_by_role("button", name="New decision").click()
    b.get_by_label("Name", exact=True).fill("only_in_safety")
    b.get_by_label("Name", exact=True).press("Enter")
    tab(b, "Workspace")
    expect(b.locator("table.rs-decisions")).to_contain_text("only_in_safety")
    text_a, text_b = yaml_text(a), yaml_text(b)
    assert "new_decision_1" in text_a and "only_in_safety" not in text_a and "block_jailbreak" not in text_a
    assert "only_in_safety" in text_b and "new_decision_1" not in text_b and "hard_math" not in text_b
    screenshot(a, "two_sessions_a")
    screenshot(b, "two_sessions_b")
    for p in pages:
        p.context.close()


def test_bad_input_is_reported_and_state_kept(page: Any, studio: str, screenshot: Callable,
                                              tmp_path: Path) -> None:
    open_studio(page, studio)
    good = yaml_text(page)
    replace_yaml(page, good + "\nrouting: [unclosed\n")
    page.get_by_text("The text does not parse; the last valid policy is kept.").wait_for()
    page.locator(".ace_gutter-cell.ace_error").first.wait_for()
    screenshot(page, "bad_yaml")
    tab(page, "Workspace")
    expect(page.locator("table.rs-decisions")).to_contain_text("long_documents")

    replace_yaml(page, good.replace("{type: domain, name: math}", "{type: domain, name: mathz}"))
    tab(page, "Checks")
    page.locator(".checks-list option", has_text="mathz").first.wait_for(state="attached")
    screenshot(page, "unknown_signal")

    tab(page, "Workspace")
    page.get_by_placeholder("/path/to/config.yaml").fill(str(tmp_path / "missing.yaml"))
    page.get_by_placeholder("/path/to/config.yaml").press("Enter")
    page.get_by_role("button", name="Open file").click()
    page.get_by_text("no such file").first.wait_for()
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02")
    page.locator("input[type=file]").set_input_files(str(tmp_path / "binary.yaml"))
    page.get_by_text("binary").first.wait_for()
    screenshot(page, "unreadable_file")
    expect(page.locator("table.rs-decisions")).to_contain_text("long_documents")

    page.reload()  # the server is still serving
    page.locator("table.rs-decisions").wait_for()
