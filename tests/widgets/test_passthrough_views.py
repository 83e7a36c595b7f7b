"""The dashboard shows requests that named a model as '(passthrough)', never as default-routed.

The recipes fixture through the real chat-log reader (tests/policies/simulation/test_recipes.py):
4 of its 12 requests pass through to the model they name, 3 reach routing and match no decision.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.formatting import DEFAULT_LABEL, PASSTHROUGH_LABEL
from policies.loader import load_policy
from policies.traffic import read_traffic
from tests.policies.simulation.test_passthrough_reports import DEFAULTED, PASSED
from tests.policies.simulation.test_recipes import CASES, CONFIG, traffic_file  # noqa: F401  (a fixture)
from widgets.markdown_text import md_text


@pytest.fixture
def dashboard(traffic_file: Path):  # noqa: F811
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=load_policy(CONFIG), traffic=read_traffic(traffic_file))
    dash.__panel__()
    assert dash.run(), dash.error
    return dash


def test_decision_table_has_a_passthrough_row_and_cards_a_true_default_share(dashboard) -> None:
    table = dashboard._decisions.value.set_index("decision")
    assert table.loc[PASSTHROUGH_LABEL, "hits"] == len(PASSED)
    assert table.loc[DEFAULT_LABEL, "hits"] == len(DEFAULTED)
    assert dashboard.cards.summary["default_route_share"] == pytest.approx(len(DEFAULTED) / len(CASES))


@pytest.mark.parametrize("label, expected", [(PASSTHROUGH_LABEL, PASSED), (DEFAULT_LABEL, DEFAULTED)])
def test_sankey_node_drills_to_exactly_its_requests(dashboard, label: str, expected: set[str]) -> None:
    sankey, drill = dashboard.sankey, dashboard.drilldown
    edges = {(s, t): n for s, t, n in sankey.edges().iter_rows()}
    assert edges[("traffic", f"decision: {label}")] == len(expected)
    sankey._on_tap([sankey._nodes.index(f"decision: {label}")])
    assert set(drill.rows()["request_id"]) == expected
    assert set(drill._table.value["decision"]) == {label}
    assert f"decision = {md_text(label)}" in drill._title.object  # reads "(passthrough)" once rendered


@pytest.mark.parametrize("label, expected", [(PASSTHROUGH_LABEL, PASSED), (DEFAULT_LABEL, DEFAULTED)])
def test_decision_row_drills_to_exactly_its_requests(dashboard, label: str, expected: set[str]) -> None:
    class Click:
        row = dashboard._decisions.value["decision"].tolist().index(label)

    dashboard._drill_cell(Click())
    assert set(dashboard.drilldown.rows()["request_id"]) == expected


def test_explanation_of_a_passthrough_and_of_a_recipe_request(dashboard) -> None:
    view = dashboard.explanation
    dashboard.drilldown.selected_request = "direct-large"
    assert view.explanation.passthrough
    assert f"Decision <b>{PASSTHROUGH_LABEL}</b> → model <b>large</b>" in view._head.object
    assert "passed through to large" in view._head.object and not view._body.visible
    dashboard.drilldown.selected_request = "coding-code"
    assert "Decision <b>code_help</b>" in view._head.object and "recipe coding" in view._head.object
    assert view._body.visible and "✓ keyword(code)" in view._trees.object


def test_the_passthrough_share_has_its_card() -> None:
    from widgets.metric_cards import MetricCards

    cards = MetricCards(summary={"passthrough_share": 0.131, "default_route_share": 0.586})
    assert cards.values()["passthrough_share"] == "13.1%"
    assert 'data-metric="passthrough_share"' in cards.html()
