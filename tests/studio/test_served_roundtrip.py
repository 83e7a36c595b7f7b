"""The user's file as written, in the README's ``panel serve studio`` (issue 13, item 3): a commented
policy opened from a path, one threshold edited in the builder by clicking and typing, and the YAML
view then holds the file with that one line changed, every comment in place."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pytest

from tests.studio.test_served_studio import (PageWatch, ServedStudio, assert_tab_works, chromium_page,  # noqa: F401
                                             click_tab, serve_readme_command)
from tests.yaml_text import commented

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "policies" / "cost_optimised.yaml"


def yaml_view_text(page: Any) -> str:
    """The YAML tab's whole document, as its Ace editor holds it."""
    click_tab(page, "YAML")
    page.locator(".ace_content >> visible=true").first.wait_for()
    return page.locator(".ace_editor >> visible=true").first.evaluate("el => el.env.editor.getValue()")


def test_a_threshold_edited_in_the_builder_changes_one_line_of_the_file(
        serve_readme_command: Callable[..., ServedStudio], chromium_page: Any, tmp_path: Path) -> None:
    original = commented(SAMPLE.read_text())
    path = tmp_path / "cost_commented.yaml"
    path.write_text(original)
    studio = serve_readme_command()
    page = chromium_page
    watch = PageWatch(urlparse(studio.url).netloc)
    watch.attach(page)
    page.goto(studio.url)
    assert_tab_works(page, "Workspace", watch)

    page.get_by_label("File path on the server").fill(str(path))
    page.get_by_role("button", name="Open file").click()
    expect(page.locator(".policy-title")).to_contain_text("cost_commented", timeout=60_000)
    assert yaml_view_text(page) == original  # opened as written

    click_tab(page, "Builder")
    page.get_by_label("Signal kind").select_option("complexity")
    page.get_by_label("Signal", exact=True).select_option("difficulty")
    threshold = page.get_by_label("threshold", exact=True)
    expect(threshold).to_have_value("0.1")
    threshold.fill("0.3")
    threshold.press("Enter")
    page.get_by_role("button", name="Apply signal").click()

    shown = yaml_view_text(page)
    for _ in range(120):  # the edit reaches the editor after a server round trip
        if shown != original:
            break
        page.wait_for_timeout(500)
        shown = yaml_view_text(page)
    assert [(a, b) for a, b in zip(original.splitlines(), shown.splitlines()) if a != b] == [
        ("        threshold: 0.1  # c48", "        threshold: 0.3  # c48")]
    assert len(shown.splitlines()) == len(original.splitlines())
    assert re.findall(r"#.*", shown) == re.findall(r"#.*", original)
    watch.assert_clean("after the builder edit")
