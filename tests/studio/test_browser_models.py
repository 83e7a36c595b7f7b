"""The Models tab in headless Chromium, used as a team would (issue 17, item 1): paste a models.yaml naming
a Hugging Face ONNX export built in the test, check and apply it, and see the Explain tab route a prompt by
that model where the bundled one routed it elsewhere. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from policies.labels import MMLU_DOMAINS
from tests.policies.inference.hf_build import build_classifier

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=60_000)  # the machine is shared: give re-renders time

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PROMPT = "a banana bread recipe please"


def _tab(page: Any, name: str) -> None:
    page.locator(".bk-tab", has_text=re.compile(f"^{name}$")).click()
    page.locator(".bk-tab.bk-active", has_text=re.compile(f"^{name}$")).wait_for()


def _explain(page: Any) -> Any:
    _tab(page, "Explain")
    page.locator("textarea[placeholder='Paste a prompt…']").fill(PROMPT)
    page.get_by_role("button", name="Explain", exact=True).click()
    return page.locator("p", has_text="Decision")


def test_models_tab_applies_a_built_model_and_explain_follows_it(page: Any, studio: str, tmp_path: Path,
                                                                 screenshot: Callable[[Any, str], Path]) -> None:
    model = build_classifier(tmp_path / "code-model", list(MMLU_DOMAINS), {"banana": {"computer science": 20}},
                             default="other")
    page.set_default_timeout(60_000)
    page.goto(f"{studio}?policy=safety_first")
    page.locator("table.rs-decisions").wait_for()
    decision = _explain(page)
    expect(decision).to_be_visible()
    expect(decision).not_to_contain_text("code_help")  # the bundled head: no programming question

    _tab(page, "Models")
    page.locator(".models-yaml textarea").fill(f"models:\n  - kind: domain\n    path: {model}\n")
    page.get_by_role("button", name="Check and apply").click()
    expect(page.locator(".models-notice")).to_contain_text("Simulating with 1 own model")
    expect(page.locator(".models-table")).to_contain_text("computer science")
    expect(page.locator(".models-table")).to_contain_text("sequence")
    screenshot(page, "models_tab_applied")

    decision = _explain(page)
    expect(decision).to_contain_text("code_help")  # the built model calls it computer science
    screenshot(page, "models_tab_explain_follows")

    _tab(page, "Models")
    page.locator(".models-yaml textarea").fill(f"models:\n  - kind: domain\n    path: {tmp_path / 'nowhere'}\n")
    page.get_by_role("button", name="Check and apply").click()
    expect(page.locator(".models-notice")).to_contain_text("model directory not found")
