"""The dashboard shows requests a plugin answers without a model as 'answered by the router'."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.formatting import percent
from policies.loader import load_policy
from policies.model import Policy
from policies.simulation.report import ROUTER_LABEL
from policies.traffic.testing import make_requests
from widgets.metric_cards import MetricCards

OFFLINE = Path(__file__).resolve().parents[2] / "notebooks" / "policies" / "keyword_tiers.yaml"
BLOCKED = "reasoning"  # the decision given a fast_response plugin


def blocking_policy() -> Policy:
    """keyword_tiers (crisp signals only) with its reasoning decision answered by a fast_response."""
    spec = load_policy(OFFLINE).to_spec()
    for decision in spec["routing"]["decisions"]:
        if decision["name"] == BLOCKED:
            decision["plugins"] = [{"type": "fast_response", "configuration": {"message": "Ask a tutor."}}]
    return Policy.from_spec(spec)


@pytest.fixture(scope="module")
def dashboard():
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=blocking_policy(), traffic=make_requests(400, seed=3))
    dash.__panel__()
    assert dash.run(), dash.error
    return dash


def test_sankey_flows_blocked_requests_to_the_router_and_drills_to_them(dashboard) -> None:
    hits = int((dashboard.result.requests["decision"] == BLOCKED).sum())
    assert hits > 0
    edges = {(s, t): n for s, t, n in dashboard.sankey.edges().iter_rows()}
    assert edges[(f"decision: {BLOCKED}", f"model: {ROUTER_LABEL}")] == hits
    assert not any(s == f"decision: {BLOCKED}" and t != f"model: {ROUTER_LABEL}" for s, t in edges)
    dashboard.sankey._on_tap([dashboard.sankey._nodes.index(f"model: {ROUTER_LABEL}")])
    rows = dashboard.drilldown.rows()
    assert rows.height == hits and set(rows["decision"]) == {BLOCKED}
    assert set(dashboard.drilldown._table.value["model"]) == {ROUTER_LABEL}
    assert (dashboard.drilldown._table.value["cost_usd"] == 0).all()
    assert f"model = {ROUTER_LABEL}" in dashboard.drilldown._title.object


def test_decision_table_and_cards_name_the_router(dashboard) -> None:
    table = dashboard._decisions.value.set_index("decision")
    hits = int(table.loc[BLOCKED, "hits"])
    assert table.loc[BLOCKED, "models"] == f"{ROUTER_LABEL} ({hits})"
    assert table.loc[BLOCKED, "total_cost"] == 0
    assert dashboard.cards.values()["answered_by_router_share"] == percent(hits / 400)
    assert 'data-metric="answered_by_router_share"' in dashboard.cards.html()


def test_router_share_delta_is_neither_good_nor_bad() -> None:
    cards = MetricCards(summary={"answered_by_router_share": 0.2, "total_cost_usd": 1.0},
                        reference={"answered_by_router_share": 0.1, "total_cost_usd": 2.0})
    html = cards.html()
    router = html[html.index('data-metric="answered_by_router_share"'):]
    assert "#57606a" in router.split("rs-delta")[1][:40]  # grey, where a cost drop is green
    assert "#1a7f37" in html.split('data-metric="total_cost_usd"')[1].split("</div></div>")[0]

