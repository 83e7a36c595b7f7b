"""The DSL tab in the served studio, used by clicking and typing: the routing as the router's DSL, an
edit there reaches the YAML (one line), a broken edit shows line:col and keeps the user's text, and an
edit in the YAML re-renders the DSL."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=30_000)  # the machine is shared: give re-renders time

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def tab(page: Any, name: str) -> str:
    """Click a tab and return the full document of the Ace editor it shows."""
    page.locator(".bk-tab", has_text=re.compile(f"^{name}$")).click()
    page.locator(".ace_content >> visible=true").first.wait_for()
    return editor_text(page)


def editor_text(page: Any) -> str:
    """The visible editor's whole document (Ace paints only the rows on screen)."""
    return page.locator(".ace_editor >> visible=true").first.evaluate("el => el.env.editor.getValue()")


def wait_for_text(page: Any, text: str, attempts: int = 120) -> None:
    """Wait until the visible editor's document holds ``text`` (the editors live in shadow DOM, out of
    reach of a page-level wait_for_function)."""
    for _ in range(attempts):
        if text in editor_text(page):
            return
        page.wait_for_timeout(250)
    assert text in editor_text(page)


def type_over(page: Any, text: str) -> None:
    """Select all in the visible editor and type ``text`` over it, as a user pasting."""
    page.locator(".ace_content >> visible=true").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def test_edit_the_policy_as_dsl(page: Any, studio: str, screenshot: Callable) -> None:
    page.goto(studio)
    page.locator("table.rs-decisions").wait_for()
    yaml_before = tab(page, "YAML")
    dsl = tab(page, "DSL")
    assert dsl.startswith("ROUTING {") and "ROUTE long_documents" in dsl and "  PRIORITY 300\n" in dsl
    page.get_by_text("Not in the DSL, kept as it is in the YAML").wait_for()  # providers are listed, not lost
    screenshot(page, "dsl_tab")

    type_over(page, dsl.replace("  PRIORITY 300\n", "  PRIORITY 301\n", 1))
    expect(page.locator(".dsl-parse-error")).to_be_hidden()
    page.locator(".bk-tab", has_text=re.compile("^YAML$")).click()
    wait_for_text(page, "priority: 301")
    yaml_after = tab(page, "YAML")
    changed = [(a, b) for a, b in zip(yaml_before.splitlines(), yaml_after.splitlines()) if a != b]
    assert changed == [("      priority: 300", "      priority: 301")]

    broken = tab(page, "DSL").replace("ROUTE long_documents", "ROUTE long_documents {{", 1)
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "ROUTE long_documents" in x)) + 1
    type_over(page, broken)
    page.get_by_text("The DSL does not compile; the last valid policy is kept.").wait_for()
    expect(page.locator(".dsl-parse-error")).to_contain_text(re.compile(rf"cost_optimised\.dsl:{line}:\d+: error"))
    page.locator(".ace_gutter-cell.ace_error >> visible=true").first.wait_for()
    screenshot(page, "dsl_broken")
    assert editor_text(page) == broken  # the user's text stays as typed
    assert "priority: 301" in tab(page, "YAML")  # and the last valid policy stays

    type_over(page, yaml_after.replace("priority: 301", "priority: 302", 1))  # now edit the YAML
    wait_for_text(page, "priority: 302")
    tab(page, "DSL")
    wait_for_text(page, "  PRIORITY 302\n")  # re-rendered from the policy: the broken text was left behind
    expect(page.locator(".dsl-parse-error")).to_be_hidden()
