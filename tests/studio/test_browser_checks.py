"""The Checks tab in headless Chromium at 1280×800, clicked as a user does (issue 14, items 1 and 3): findings in
ranked groups, an overlap accepted as intended (written into the policy, so the YAML tab shows it), and a witness
shown as a request with its signal table. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=60_000)  # the machine is shared: give re-renders time

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def small_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def _tab(page: Any, name: str) -> None:
    page.locator(".bk-tab", has_text=re.compile(f"^{name}$")).click()
    page.locator(".bk-tab.bk-active", has_text=re.compile(f"^{name}$")).wait_for()


def _choose(page: Any, selector: str, text: str) -> None:
    """Pick the option containing ``text`` in the <select> under ``selector``, as a user does."""
    select = page.locator(f"{selector} select")
    option = select.locator("option", has_text=text).first
    option.wait_for(state="attached")
    select.select_option(option.get_attribute("value"))


def test_grouped_findings_accept_an_overlap_and_read_a_witness(small_page: Any, studio: str, tmp_path: Path) -> None:
    page = small_page
    page.goto(f"{studio}?policy=safety_first")
    page.locator("table.rs-decisions").wait_for()
    _tab(page, "Checks")

    groups = page.locator(".checks-group-list li")
    expect(groups.first).to_have_text("WARNING · overlap (6)")
    expect(groups.nth(1)).to_have_text("WARNING · coverage-gap (1)")
    page.screenshot(path=str(tmp_path / "checks_groups.png"), full_page=True)

    # narrow to the overlap group, pick the block-vs-code overlap, accept it as intended
    _choose(page, ".checks-group", "WARNING · overlap (6)")
    expect(page.locator(".checks-list option")).to_have_count(6)
    _choose(page, ".checks-list", "'block_jailbreak' and 'code_help'")
    expect(page.locator(".checks-detail")).to_contain_text("Decisions: block_jailbreak, code_help")
    page.locator(".checks-witness").wait_for()  # the detail has settled on the selection
    page.get_by_role("button", name="Accept as intended").click()
    page.get_by_text("Overlap accepted as intended").first.wait_for()
    expect(page.locator(".checks-group-list li", has_text="ACCEPTED AS INTENDED · overlap (1)")).to_be_visible()
    expect(page.locator(".checks-group-list li").first).to_have_text("WARNING · overlap (5)")
    expect(page.locator(".checks-summary")).to_contain_text("1 accepted as intended")
    page.screenshot(path=str(tmp_path / "checks_accepted.png"), full_page=True)

    # the acceptance is in the policy file
    _tab(page, "YAML")
    page.locator(".ace_content").wait_for()
    text = page.locator(".ace_editor").first.evaluate("el => el.env.editor.getValue()")
    assert "routing-studio/accepted-overlaps" in text and "code_help" in text.split("routing-studio/accepted-overlaps")[1]

    # a witness as a request: the example prompt and its signal table
    _tab(page, "Checks")
    _choose(page, ".checks-group", "WARNING · overlap (5)")
    _choose(page, ".checks-list", "'crisis_support' and 'code_help'")
    expect(page.locator(".checks-detail")).to_contain_text("Decisions: crisis_support, code_help")
    example = page.locator(".checks-witness q.checks-example")
    expect(example).to_contain_text("[a computer science question]")
    rows = page.locator(".checks-witness-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="domain:code")).to_contain_text("computer science")
    expect(rows.filter(has_text="keyword:self_harm")).to_contain_text("yes")
    expect(page.locator(".checks-witness-table thead")).to_have_text(re.compile(r"signal\s*value\s*threshold\s*fires"))
    page.screenshot(path=str(tmp_path / "checks_witness.png"), full_page=True)
    assert (tmp_path / "checks_witness.png").stat().st_size > 0


def test_after_a_simulation_the_checks_tab_shows_traffic(small_page: Any, studio: str, tmp_path: Path) -> None:
    """Issue 14: 'After a simulation, the Checks tab still shows no traffic share.' Run the sample in the Simulation
    tab (real ONNX models, the shipped score layer), then open Checks: shares, cost and logged requests."""
    page = small_page
    page.goto(f"{studio}?policy=safety_first")
    page.locator("table.rs-decisions").wait_for()
    _tab(page, "Simulation")
    page.get_by_role("button", name="Run simulation").click()
    page.locator("text=Simulated 6,000 requests").first.wait_for(timeout=300_000)
    _tab(page, "Checks")
    expect(page.locator(".checks-group-list li").first).to_contain_text("% of traffic")
    _choose(page, ".checks-group", "overlap (6)")
    expect(page.locator(".checks-list option")).to_have_count(6)
    _choose(page, ".checks-list", "'block_jailbreak' and 'block_sensitive_ids'")
    expect(page.locator(".checks-detail")).to_contain_text("Decisions: block_jailbreak, block_sensitive_ids")
    traffic = page.locator(".checks-traffic")
    expect(traffic).to_contain_text(re.compile(r"Traffic: [\d,]+ logged requests · [\d.]+% of traffic · \$"))
    expect(traffic.locator("ul.checks-logged li code").first).to_have_text(re.compile(r"^req-\d+$"))
    page.screenshot(path=str(tmp_path / "checks_traffic.png"), full_page=True)
