"""The Calibrate tab in the served studio (the README's ``panel serve studio``), driven by clicking in
headless Chromium: upload a Router Replay log, fit, see 100% agreement, apply (a second fit then
starts from the fitted threshold), and undo it (the written threshold is back)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pytest

from tests.calibration_logs import changed_lines, logged_at
from tests.studio.test_served_studio import (PageWatch, ServedStudio, assert_responsive, chromium_page,  # noqa: F401
                                             click_tab, serve_readme_command)
from tests.studio.test_served_roundtrip import yaml_view_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_calibrate_tab_fits_applies_and_undoes(serve_readme_command: Callable[..., ServedStudio],
                                               chromium_page: Any, tmp_path: Path, screenshot: Callable) -> None:
    log = logged_at(tmp_path, n=120).write("production.jsonl", signals=True, decisions=False)
    studio = serve_readme_command()
    page = chromium_page
    watch = PageWatch(urlparse(studio.url).netloc)
    watch.attach(page)
    page.goto(studio.url)
    page.locator("table.rs-decisions >> visible=true").first.wait_for()
    opened = yaml_view_text(page)
    click_tab(page, "Calibrate")
    page.locator("input[type=file] >> visible=true").first.set_input_files(str(log))
    page.get_by_role("button", name="Load traffic", exact=True).click()
    page.get_by_text("120 requests", exact=False).first.wait_for()
    page.get_by_role("button", name="Calibrate", exact=True).click()
    table = page.locator(".calibration-table")
    table.locator(".tabulator-cell", has_text="complexity:difficulty").wait_for()
    row = table.locator(".tabulator-row").first.inner_text()
    assert "100.0%" in row and "0.100" in row, row
    screenshot(page, "served_calibration_fitted")
    apply = page.get_by_role("button", name="Apply fitted thresholds", exact=True)
    assert apply.is_enabled()
    apply.click()
    page.locator(".undo button:enabled").first.wait_for()
    applied = yaml_view_text(page)
    removed, added = changed_lines(opened, applied)  # the one threshold line, nothing else
    assert removed == "-        threshold: 0.1" and re.fullmatch(r"\+        threshold: 0\.0\d+", added), (removed, added)
    click_tab(page, "Calibrate")
    # the open policy now holds the fit: calibrating again starts from it, in full agreement
    page.get_by_role("button", name="Calibrate", exact=True).click()
    table.locator(".tabulator-cell", has_text="100.0%").nth(1).wait_for()
    row = table.locator(".tabulator-row").first.inner_text()
    assert "0.100" not in row and row.count("100.0%") == 2, row
    page.locator(".undo button").first.click()
    page.locator(".undo button:disabled").first.wait_for()
    assert yaml_view_text(page) == opened
    click_tab(page, "Calibrate")
    page.get_by_role("button", name="Calibrate", exact=True).click()
    table.locator(".tabulator-cell", has_text="0.100").wait_for()
    assert_responsive(page, "after undoing the calibration")
    watch.assert_clean("after calibrating")
