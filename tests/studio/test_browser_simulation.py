"""In the served studio: simulate the sample traffic, move a threshold, compare two stored versions."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from policies.formatting import PASSTHROUGH_LABEL
from policies.storage import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

POLICY = Path(__file__).resolve().parents[2] / "notebooks" / "policies" / "keyword_tiers.yaml"
SAMPLE_MODELS = ("deepseek-r1", "gpt-4o", "gpt-4o-mini", "qwen3-32b", "qwen3-8b")  # the sample's outcomes
SLOW_MS = 180_000  # the sample's 6,000 requests: read, extract signals, route (2 shared cores)


def _store_versions(db: str) -> None:
    """v1 as written; v2 stricter on 'reasoning' and with 'business' outranking it."""
    v1 = POLICY.read_text()
    v2 = v1.replace("bm25_threshold: 0.6, keywords: [prove", "bm25_threshold: 1.0, keywords: [prove")
    v2 = v2.replace("    - name: business\n      description: Business questions go to gpt-4o-mini.\n      priority: 100",
                    "    - name: business\n      description: Business questions go to gpt-4o-mini.\n      priority: 160")
    assert v2.count("priority: 160") == 1 and "bm25_threshold: 1.0" in v2
    with Store.open(db) as store:
        store.save_version("keyword_tiers", v1, "tester", "as written")
        store.save_version("keyword_tiers", v2, "tester", "stricter reasoning, business first")


def _drill_latencies(page: Any) -> list[float]:
    """The latency_ms cells of the drill-down's page (the per-decision table has other columns)."""
    cells = page.locator('.tabulator-cell[tabulator-field="latency_ms"]').all_inner_texts()
    return [float(text.replace(",", "")) for text in cells if text.strip()]


def _poll(read: Callable[[], Any], until: Callable[[Any], bool] = bool, timeout_s: float = 30) -> Any:
    """``read()`` until ``until`` holds for it (a page update lands after the click) or time is up."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not until(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


CONTROLS = "button, input, select, textarea, .rs-card, .bk-Figure, .tabulator"
MARGIN_PX = 10  # Panel's margin: what the cards and tables keep from the page's edges


def _shown(page: Any, selector: str) -> list[dict[str, Any]]:
    """Box, name (first line of text, else class) and ``overflow`` (how much wider its content is) of each shown
    element matching ``selector``, shadow roots included."""
    return page.evaluate("""selector => {
        const found = [], walk = root => root.querySelectorAll('*').forEach(el => {
            if (el.matches(selector)) found.push(el);
            if (el.shadowRoot) walk(el.shadowRoot);
        });
        walk(document);
        return found.map(el => ({name: (el.innerText.trim().split('\\n')[0] || el.className).slice(0, 40),
                                 overflow: el.scrollWidth - el.clientWidth, ...el.getBoundingClientRect().toJSON()}))
            .filter(box => box.width && box.height);
    }""", selector)


def _overlapping(page: Any, selector: str) -> list[tuple[str, str]]:
    """Pairs of shown ``selector`` elements whose boxes intersect by more than the pixel joined buttons share."""
    boxes = _shown(page, selector)

    def meet(a: dict[str, Any], b: dict[str, Any], low: str, high: str) -> bool:
        return min(a[high], b[high]) - max(a[low], b[low]) > 1

    return [(a["name"], b["name"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if meet(a, b, "left", "right") and meet(a, b, "top", "bottom")]


def _outside_margins(page: Any, selector: str) -> list[str]:
    """Shown ``selector`` elements reaching into the window's side margins or past them, where the window's edge or
    an overlay scrollbar covers them."""
    width = page.evaluate("document.documentElement.clientWidth")
    return [box["name"] for box in _shown(page, selector)
            if box["left"] < MARGIN_PX - 1 or box["right"] > width - MARGIN_PX + 1]


def _overflowing(page: Any, selector: str) -> list[str]:
    """Shown ``selector`` elements whose content is wider than they are: it runs into what lies beside them, or
    scrolls sideways."""
    return [box["name"] for box in _shown(page, selector) if box["overflow"] > 1]


def _misplaced(page: Any) -> dict[str, list]:
    """What the layout checks find on the shown page: controls over each other, plots and tables at or past the
    window's edges, layouts and tables whose content is wider than they are."""
    return {"overlapping": _overlapping(page, CONTROLS),
            "outside margins": _outside_margins(page, ".bk-Figure, .bk-Toolbar, .tabulator"),
            "overflowing": _overflowing(page, '.bk-Row, .bk-Column, [class*="models-layout"], .tabulator-tableholder')}


def _metric(page: Any, key: str) -> str:
    return page.locator(f".rs-card[data-metric='{key}'] .rs-value").first.inner_text()


def _wait_metric_change(page: Any, key: str, old: str) -> str:
    page.wait_for_function(
        """([key, old]) => {
             const find = (root) => {
               const hit = root.querySelector(`.rs-card[data-metric='${key}'] .rs-value`);
               if (hit) return hit;
               for (const el of root.querySelectorAll('*')) {
                 if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
               }
               return null;
             };
             const el = find(document);
             return el && el.textContent !== old;
           }""", arg=[key, old], timeout=SLOW_MS)
    return _metric(page, key)


def test_simulate_tune_and_compare(serve_studio: Callable[..., str], studio_db: str, page: Any,
                                   screenshot: Callable[[Any, str], Path]) -> None:
    _store_versions(studio_db)
    url = serve_studio(db=studio_db)
    page.goto(f"{url}?policy=keyword_tiers&version=2&tab=simulation", timeout=SLOW_MS)
    page.get_by_role("button", name="Run simulation").click()
    cost = _wait_metric_change(page, "total_cost_usd", "")
    assert re.match(r"^\$[\d,.]+$", cost), cost
    page.locator("text=Simulated 6,000 requests").first.wait_for(timeout=SLOW_MS)
    share = _metric(page, "default_route_share")
    reasoning = _hits(page, "reasoning")
    assert reasoning > 0
    _decision_row_locator(page, PASSTHROUGH_LABEL).wait_for(timeout=SLOW_MS)  # requests that named a model
    screenshot(page, "simulation_run")

    handle = page.locator(".noUi-handle").first  # the first threshold: keywords · reasoning · bm25_threshold
    box = handle.bounding_box()
    track = page.locator(".noUi-base").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] - 2, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    new_share = _wait_metric_change(page, "default_route_share", share)
    assert float(new_share.rstrip("%")) > float(share.rstrip("%"))  # 'reasoning' fires less: more default
    assert page.locator(".rs-delta").count() > 0
    fewer = _poll(lambda: _hits(page, "reasoning"), until=lambda hits: hits < reasoning)
    assert fewer < reasoning, (fewer, reasoning)  # its row, found by its decision cell (the others list gpt-4o too)
    screenshot(page, "simulation_threshold_moved")

    page.locator(".tabulator-row", has_text="code_help").first.click()
    page.locator("text=Requests: decision = code_help").first.wait_for(timeout=SLOW_MS)
    first_request = page.locator(".tabulator-row", has_text="req-").first.inner_text()
    page.locator(".drill-next button").click()  # the drill-down pages itself: page 2 holds other requests
    page.locator(".drill-page", has_text="Page 2 of").wait_for(timeout=SLOW_MS)
    page.locator(".tabulator-row", has_text=first_request.split()[0]).wait_for(state="detached", timeout=SLOW_MS)
    page.locator(".drill-first button").click()
    page.locator(".drill-page", has_text="Page 1 of").wait_for(timeout=SLOW_MS)
    header = page.locator(".tabulator-col", has_text=re.compile("^latency_ms")).last  # the drill-down's column
    header.click()
    header.click()  # descending, over every matching request: page 1 holds the slowest of all pages
    page.locator(".drill-next button").click()
    page.locator(".drill-page", has_text="Page 2 of").wait_for(timeout=SLOW_MS)
    second = _poll(lambda: _drill_latencies(page))
    page.locator(".drill-first button").click()
    page.locator(".drill-page", has_text="Page 1 of").wait_for(timeout=SLOW_MS)
    first = _poll(lambda: _drill_latencies(page), until=lambda rows: rows and min(rows) >= max(second))
    assert first and min(first) >= max(second), (first, second)
    page.locator(".tabulator-row", has_text="code_help").nth(1).click()  # first request of the drill-down
    page.locator("text=Decision code_help").first.wait_for(timeout=SLOW_MS)
    page.locator(".rs-tree", has_text="keyword(code)").first.wait_for(timeout=SLOW_MS)
    screenshot(page, "simulation_explain")

    page.locator(".bk-tab", has_text="Compare").click()
    page.locator("select:has(option:text-is('keyword_tiers v1'))").select_option(label="keyword_tiers v1")
    page.get_by_role("button", name="Compare with the open policy (B)").click()
    verdict = page.locator(".rs-verdict").first
    verdict.wait_for(timeout=SLOW_MS)
    assert "differs" in verdict.inner_text()
    page.locator("text=requests change route").first.wait_for(timeout=SLOW_MS)
    assert page.locator("text=Distinguishing request").count() > 0
    screenshot(page, "compare_versions")


def _decision_row_locator(page: Any, decision: str) -> Any:
    """The per-decision table's row whose decision cell is exactly ``decision`` (the drill-down has no
    hit_rate column)."""
    cell = page.locator('.tabulator-cell[tabulator-field="decision"]', has_text=re.compile(f"^{re.escape(decision)}$"))
    return page.locator(".tabulator-row", has=page.locator('[tabulator-field="hit_rate"]')).filter(has=cell)


def _decision_row(page: Any, decision: str) -> dict[str, str]:
    """The per-decision table's cells of ``decision`` by field."""
    row = _decision_row_locator(page, decision)
    row.wait_for(timeout=SLOW_MS)
    cells = row.locator(".tabulator-cell").evaluate_all(
        "cells => cells.map(cell => [cell.getAttribute('tabulator-field'), cell.innerText.trim()])")
    return dict(cells)


def _hits(page: Any, decision: str) -> int:
    """The hits the per-decision table shows for ``decision``."""
    return int(_decision_row(page, decision)["hits"].replace(",", ""))


def _unreadable_columns(page: Any, field: str) -> list[str]:
    """Fields of the table with a ``field`` column whose header title is cut short or lies outside the table's view."""
    table = page.locator(".tabulator", has=page.locator(f'.tabulator-col[tabulator-field="{field}"]')).first
    return table.evaluate("""table => {
        const view = table.querySelector('.tabulator-tableholder').getBoundingClientRect();
        const shown = [...table.querySelectorAll('.tabulator-col[tabulator-field]')].filter(col => col.offsetWidth);
        return shown.filter(col => {
            const title = col.querySelector('.tabulator-col-title'), box = col.getBoundingClientRect();
            return title.scrollWidth > title.clientWidth || box.left < view.left - 1 || box.right > view.right + 1;
        }).map(col => col.getAttribute('tabulator-field'));
    }""")


def test_per_decision_table_at_the_default_width(serve_studio: Callable[..., str], page: Any,
                                                 screenshot: Callable[[Any, str], Path]) -> None:
    """No sample request reaches privacy_regulated's clinical_questions: it shows 0 hits and empty averages.
    Every column of the table can be read beside the controls, without scrolling it sideways (the
    passthrough row's long model shares show whole on hover)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{serve_studio()}?policy=privacy_regulated&tab=simulation", timeout=SLOW_MS)
    page.get_by_role("button", name="Run simulation").click()
    unreached = _decision_row(page, "clinical_questions")
    screenshot(page, "simulation_decision_table")
    assert not [field for field, text in unreached.items() if "nan" in text.lower()], unreached
    counts = {f: unreached[f] for f in ("hits", "hit_rate", "total_cost", "cost_share", "quality_coverage")}
    assert counts == {"hits": "0", "hit_rate": "0.0%", "total_cost": "$0.0000", "cost_share": "0.0%",
                      "quality_coverage": "0.0%"}
    averages = ("mean_cost", "p50_latency_ms", "p95_latency_ms", "mean_quality", "quality_low", "quality_high")
    assert all(unreached[f] == "" for f in averages), unreached
    assert _decision_row(page, "legal_hosted")["mean_quality"].startswith("0.")  # a reached decision has them
    assert _unreadable_columns(page, "hit_rate") == []
    # the passthrough row lists every model the sample's requests named: cut short, whole on hover
    models = _decision_row_locator(page, PASSTHROUGH_LABEL).locator('.tabulator-cell[tabulator-field="models"]')
    assert models.evaluate("cell => cell.scrollWidth > cell.clientWidth")
    models.hover()
    assert page.locator(".tabulator-tooltip").inner_text(timeout=5_000) == models.inner_text()


def test_drilldown_at_the_default_width(serve_studio: Callable[..., str], page: Any,
                                        screenshot: Callable[[Any, str], Path]) -> None:
    """Every column of the drill-down can be read beside the controls at 1280 px, on the requests of the sample's
    longest decision name; a prompt cut short shows its whole preview on hover."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{serve_studio()}?tab=simulation", timeout=SLOW_MS)
    page.get_by_role("button", name="Run simulation").click()
    _decision_row(page, "hard_stem_or_code")
    page.locator(".tabulator-row", has_text="hard_stem_or_code").first.click()
    page.locator("text=Requests: decision = hard_stem_or_code").first.wait_for(timeout=SLOW_MS)
    page.locator('.tabulator-cell[tabulator-field="decision"]', has_text="hard_stem_or_code").first.wait_for()
    screenshot(page, "simulation_drilldown")
    assert _unreadable_columns(page, "prompt") == []
    cell = next(c for c in page.locator('.tabulator-cell[tabulator-field="prompt"]').all()
                if c.evaluate("cell => cell.scrollWidth > cell.clientWidth"))
    cell.hover()
    assert page.locator(".tabulator-tooltip").inner_text(timeout=5_000) == cell.inner_text()


def test_simulation_controls_never_overlap_at_the_default_width(serve_studio: Callable[..., str], page: Any,
                                                               screenshot: Callable[[Any, str], Path]) -> None:
    """The traffic picker's buttons stay in the controls' column, clear of the metric cards beside it."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{serve_studio()}?tab=simulation", timeout=SLOW_MS)
    page.get_by_role("button", name="Run simulation").click()
    _wait_metric_change(page, "total_cost_usd", "")
    screenshot(page, "simulation_controls")
    assert _overlapping(page, CONTROLS) == []


def test_cost_quality_plot_at_the_default_width(serve_studio: Callable[..., str], page: Any,
                                                screenshot: Callable[[Any, str], Path]) -> None:
    """Each point of the cost/quality plot is named by a legend entry of its own, clear of the others (labels beside
    the points covered each other where the policy meets its as-written run), and the plot, toolbar included,
    keeps inside the page's margins."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{serve_studio()}?tab=simulation", timeout=SLOW_MS)
    page.get_by_role("button", name="Run simulation").click()
    _wait_metric_change(page, "total_cost_usd", "")
    page.locator(".bk-item", has_text="policy (as written)").wait_for()
    screenshot(page, "simulation_cost_quality")
    names = sorted(entry["name"] for entry in _shown(page, ".bk-item"))
    assert names == sorted([*(f"all {m}" for m in SAMPLE_MODELS), "policy (as written)", "policy"])
    assert _overlapping(page, ".bk-item") == []
    assert _outside_margins(page, ".bk-Figure, .bk-Toolbar") == []


@pytest.mark.parametrize("width, height", [(1280, 800), (1600, 900)])
def test_simulation_and_compare_layouts(serve_studio: Callable[..., str], studio_db: str, page: Any,
                                        screenshot: Callable[[Any, str], Path], width: int, height: int) -> None:
    """At the default and a wide window, with every part of the Simulation and Compare tabs filled: no control
    covers another, no plot or table reaches the window's edges, no layout or table holds more than its width."""
    _store_versions(studio_db)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{serve_studio(db=studio_db)}?policy=keyword_tiers&version=2&tab=simulation", timeout=SLOW_MS)
    page.get_by_role("button", name="Run simulation").click()
    page.locator(".tabulator-row", has_text="code_help").first.click(timeout=SLOW_MS)  # once simulated
    page.locator("text=Requests: decision = code_help").first.wait_for(timeout=SLOW_MS)
    page.locator(".tabulator-row", has_text="code_help").nth(1).click()  # its first request: the explanation
    page.locator(".rs-tree", has_text="keyword(code)").first.wait_for(timeout=SLOW_MS)
    screenshot(page, f"simulation_layout_{width}")
    assert _misplaced(page) == {"overlapping": [], "outside margins": [], "overflowing": []}

    page.locator(".bk-tab", has_text="Compare").click()
    page.locator("select:has(option:text-is('keyword_tiers v1'))").select_option(label="keyword_tiers v1")
    page.get_by_role("button", name="Compare with the open policy (B)").click()
    page.locator("text=requests change route").first.wait_for(timeout=SLOW_MS)
    page.locator(".tabulator-row", has_text="req-").first.wait_for(timeout=SLOW_MS)
    screenshot(page, f"compare_layout_{width}")
    assert _misplaced(page) == {"overlapping": [], "outside margins": [], "overflowing": []}
