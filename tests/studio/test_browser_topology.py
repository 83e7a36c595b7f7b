"""Issue 14 in the served studio, clicked as a user does at 1280×800 and 1600×900: the Topology tab
lights a typed prompt's path and weighs its edges (by the Simulation tab's run, or on request), the builder's new decision, rank, NOT and folded
signal form, a notice that stays on its tab, and the charts' labels and colours.

One ``panel serve studio`` (the README's command, a subprocess with a fresh HOME) serves the whole
module; each test opens its own page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import panel as pn
import pytest

from policies.loader import load_policy
from policies.simulation.explain import explain_text
from tests.conftest import ROOT
from tests.studio.test_served_studio import ServedStudio, click_tab, start_studio, stop
from widgets.topology import topology

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(1280, 800), (1600, 900)]
SLOW_MS = 120_000  # a simulation of the sample traffic on a loaded 2-core machine
PROMPT = "Prove this theorem step by step and derive the closed form"
# Bokeh's column data of every source in the page's document holding ``column``
SOURCES_JS = """column => {
  const out = [];
  for (const doc of Bokeh.documents) for (const m of doc.all_models) {
    const data = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;
    if (data && column in data) out.push(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.from(v)])));
  }
  return out;
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStudio]:
    studio = start_studio(tmp_path_factory.mktemp("served"))
    yield studio
    stop(studio)
    pn.state.kill_all_servers()


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def sized(browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    yield page, f"{width}"
    context.close()


def sources(page: Any, column: str) -> list[dict[str, list]]:
    return page.evaluate(SOURCES_JS, column)


def opacity(locator: Any) -> float:
    return float(locator.evaluate("el => getComputedStyle(el).opacity"))


def test_topology_lights_a_prompts_path_and_weighs_its_edges(served: ServedStudio, sized: tuple,
                                                             screenshot: Callable[[Any, str], Path]) -> None:
    page, size = sized
    page.goto(served.url)
    click_tab(page, "Topology")
    box = page.locator(".topology-prompt input")
    box.fill(PROMPT)
    box.press("Enter")
    summary = page.locator(".topology-path")
    summary.wait_for()
    policy = load_policy(ROOT / "sample_data" / "policies" / "cost_optimised.yaml")  # the studio opens on it
    found = explain_text(policy, PROMPT)  # the same models, in this process
    assert f"Routes to {found.label} → model {found.model}" in summary.inner_text()
    graph = topology(policy)
    expected = {graph.node(n).label for n in graph.path(found)}
    nodes = next(s for s in sources(page, "weight"))
    bold = {label for label, weight in zip(nodes["label"], nodes["weight"]) if weight == "bold"}
    assert bold == expected and f"decision" not in bold and found.label in bold
    screenshot(page, f"topology_path_{size}")

    page.get_by_role("button", name="Weigh by the traffic").click()
    page.wait_for_function(f"() => ({SOURCES_JS})('dash').some(s => s.requests.some(r => /^[0-9,]+$/.test(r)))",
                           timeout=SLOW_MS)
    edges = next(s for s in sources(page, "dash"))
    assert sum(int(r.replace(",", "")) for r, t in zip(edges["requests"], edges["target"]) if t == "(default)") == 0
    widths = [w for w in edges["width"] if w]
    assert max(widths) > min(widths)  # the flows differ, so do the edges
    screenshot(page, f"topology_weighed_{size}")


def test_builder_new_decision_rank_not_and_folded_form(served: ServedStudio, sized: tuple,
                                                       screenshot: Callable[[Any, str], Path]) -> None:
    page, size = sized
    page.goto(served.url)
    click_tab(page, "Builder")
    delete_recipe = page.get_by_role("button", name="Delete recipe")
    assert delete_recipe.is_disabled() and opacity(delete_recipe) < 0.5  # it looks disabled, too
    page.get_by_role("button", name="New decision").click()
    page.locator(".rb-incomplete", has_text="incomplete: pick a signal").wait_for()
    rank = page.locator(".rb-rank")
    rank.locator("text=/Rank \\d of 5/").wait_for()
    priority = page.get_by_label("Priority")
    priority.fill("1000")
    priority.press("Enter")
    rank.locator("text=Rank 1 of 5, tried first").wait_for()
    screenshot(page, f"builder_new_decision_rank_{size}")

    page.get_by_role("button", name="NOT", exact=True).first.click()  # negate the root group
    page.get_by_role("button", name="Remove NOT").wait_for()
    head = page.locator(".bk-Row").filter(has=page.get_by_role("button", name="Remove NOT")).last  # the NOT's own row
    assert head.locator("text=NOT").count() >= 1 and head.get_by_role("button", name="NOT", exact=True).count() == 0

    form = page.locator(".se-more")
    form.wait_for()
    assert page.get_by_label("keywords (one per line)").is_visible()
    assert not page.get_by_label("fuzzy threshold").is_visible()  # folded until asked for
    screenshot(page, f"builder_not_and_signal_form_{size}")


def test_a_notice_stays_on_the_tab_it_was_raised_on(served: ServedStudio, sized: tuple,
                                                    screenshot: Callable[[Any, str], Path]) -> None:
    page, size = sized
    page.goto(served.url)
    click_tab(page, "Builder")
    page.get_by_role("button", name="Apply signal").click()  # no name: refused with a notice
    notice = page.locator(".studio-notice", has_text="A signal needs a name.")
    notice.wait_for()
    screenshot(page, f"notice_on_builder_{size}")
    click_tab(page, "Workspace")
    notice.wait_for(state="hidden")
    assert not page.locator(".workspace-notice", has_text="A signal needs a name.").is_visible()
    click_tab(page, "Builder")
    notice.wait_for()


def test_chart_labels_keep_their_full_text_and_decisions_their_colour(served: ServedStudio, sized: tuple,
                                                                      screenshot: Callable[[Any, str], Path]) -> None:
    page, size = sized
    page.goto(served.url)
    click_tab(page, "Simulation")
    page.get_by_role("button", name="Run simulation").click()
    page.locator("text=Simulated 6,000 requests").first.wait_for()
    page.wait_for_function(f"() => ({SOURCES_JS})('full').some(s => s.full.some(f => f))")
    labels = next(s for s in sources(page, "full"))
    shown = [(t, f) for t, f in zip(labels["text"], labels["full"]) if t]
    assert shown and all(f.startswith(t.split("…")[0]) for t, f in shown)  # a cut label keeps its whole text
    assert any(f.startswith("hard_stem_or_code") for _, f in shown)
    screenshot(page, f"simulation_sankey_labels_{size}")

    click_tab(page, "Topology")  # built now: weighed by the run just made, without asking
    page.wait_for_function(f"() => ({SOURCES_JS})('dash').some(s => s.requests.some(r => /^[0-9,]+$/.test(r)))")

    click_tab(page, "Compare")
    page.get_by_role("button", name="Compare with the open policy (B)").click()
    page.locator("text=requests change route").first.wait_for()
    page.wait_for_function(f"() => ({SOURCES_JS})('x0').some(s => s.label && s.label.some(l => l.startsWith('A: ')))")
    nodes = next(s for s in sources(page, "x0") if "label" in s and any(l.startswith("A: ") for l in s["label"]))
    colour = {label: c for label, c in zip(nodes["label"], nodes["color"]) if label}
    sides = {label[3:] for label in colour if label.startswith("A: ")}
    assert sides and all(colour[f"A: {d}"] == colour[f"B: {d}"] for d in sides if f"B: {d}" in colour)
    assert len({colour[f"A: {d}"] for d in sides}) == len(sides)  # one colour per decision
    screenshot(page, f"compare_sankey_colours_{size}")
    assert re.search(r"\d", page.locator("text=requests change route").first.inner_text())
