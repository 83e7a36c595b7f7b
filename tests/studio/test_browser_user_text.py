"""In the served studio, text that users wrote (a stored policy's name, a version's message, the
YAML itself) shows as written: it never runs as script or renders as markup, in any pane."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any, Callable

import pytest

from policies.storage import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "policies" / "cost_optimised.yaml"
PAYLOAD = "<img src=x onerror=\"document.body.dataset.pwned='yes'\">**bold**"


def test_a_hostile_policy_name_shows_as_text(serve_studio: Callable[..., str], studio_db: str, page: Any,
                                             screenshot: Callable[[Any, str], Path]) -> None:
    with Store.open(studio_db) as store:  # another user of a team store saved it
        store.save_version(PAYLOAD, SAMPLE.read_text(), "mallory", PAYLOAD)
    url = serve_studio(db=studio_db)
    page.goto(f"{url}?{urllib.parse.urlencode({'policy': PAYLOAD, 'tab': 'versions'})}")
    name = page.locator(".policy-title").get_by_text("<img src=x", exact=False)
    name.wait_for()  # the name, as typed, in the toolbar
    assert PAYLOAD in name.inner_text()  # its Markdown (**bold**) is not applied either
    page.locator("table.rs-table td", has_text="<img src=x").wait_for()  # the version's message in the history
    page.wait_for_timeout(1500)  # an <img> whose load fails fires onerror at once
    assert page.evaluate("() => document.body.dataset.pwned") is None
    screenshot(page, "user_text_shown_as_written")
