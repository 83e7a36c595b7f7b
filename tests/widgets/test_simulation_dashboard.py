"""The dashboard's parts alone: traffic picker, metric cards, Sankey, sliders, drill-down."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from policies.loader import load_policy
from policies.traffic.testing import make_requests
from widgets.drilldown import Drilldown, filter_requests
from widgets.metric_cards import MetricCards
from widgets.sankey import FlowSankey, flow_edges, parse_node
from widgets.threshold_sliders import ThresholdSliders, threshold_knobs
from widgets.traffic_picker import TrafficPicker, read_upload

REPO = Path(__file__).resolve().parents[2]
COST = REPO / "sample_data" / "policies" / "cost_optimised.yaml"


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame({
        "request_id": ["a", "b", "c", "d"],
        "prompt": ["x  y", "z", "w", "v"],
        "decision": ["math", "math", None, "code"],
        "model": ["r1", "r1", "8b", "8b"],
        "cost_usd": [1.0, 2.0, 0.5, 0.25],
    })


def test_picker_keeps_last_good_traffic_on_a_bad_upload(tmp_path: Path) -> None:
    picker = TrafficPicker(source="Database", db_url="sqlite:///" + str(tmp_path / "none.db"), db_table="nope")
    picker.__panel__()
    assert picker.load() is False and "no table 'nope'" in picker.error
    good = tmp_path / "good.jsonl"
    good.write_text('{"request_id": "r1", "messages": [{"role": "user", "content": "hi"}], "model": "m"}\n')
    picker.source = "File"
    picker._file.param.update(value=good.read_bytes(), filename="good.jsonl")
    assert picker.load(), picker.error
    loaded = picker.traffic
    assert loaded.requests.height == 1 and picker.error == ""
    picker._file.param.update(value=b"\x1f\x8b garbage", filename="broken.jsonl.gz")
    assert picker.load() is False
    assert picker.traffic is loaded
    assert "broken.jsonl.gz" in picker.error
    assert picker._alert.visible


def test_picker_reads_a_database_table(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table reqs (request_id text, prompt text, model text, cost_usd real)")
        conn.executemany("insert into reqs values (?, ?, ?, ?)",
                         [("q1", "what is 2+2", "gpt-4o", 0.01), ("q2", "hi", "qwen3-8b", 0.001)])
    picker = TrafficPicker(source="Database", db_url=f"sqlite:///{db}", db_table="reqs", format="table")
    assert picker.load(), picker.error
    assert sorted(picker.traffic.requests["request_id"].to_list()) == ["q1", "q2"]
    assert "reqs" in picker.traffic.source.path


def test_read_upload_names_the_file_in_errors() -> None:
    with pytest.raises(Exception) as err:
        read_upload("empty_dir_name.parquet", b"PAR1 not really parquet")
    assert "empty_dir_name.parquet" in str(err.value)


def test_metric_cards_format_and_delta() -> None:
    cards = MetricCards(summary={"total_cost_usd": 12.5, "default_route_share": 0.25, "p95_latency_ms": 1200.0,
                                 "quality_coverage": 0.5})
    cards.__panel__()
    values = cards.values()
    assert values["total_cost_usd"] == "$12.50" and values["default_route_share"] == "25.0%"
    assert values["mean_quality"] == "n/a"
    cards.reference = {"total_cost_usd": 10.0, "default_route_share": 0.25}
    html = cards.__panel__().object
    assert "+$2.50" in html and "#cf222e" in html  # cost went up: shown as worse
    assert "coverage 50%" in html
    cards.summary = {**cards.summary, "total_cost_usd": 8.0}
    assert "−$2.00" in cards.__panel__().object


def test_metric_card_deltas_too_small_to_show_are_no_change() -> None:
    """A float-noise difference would print as a red '−$0.0000' or '−0.000': no delta is shown instead."""
    cards = MetricCards(summary={"total_cost_usd": 0.5, "mean_quality": 0.5481, "p95_latency_ms": 900.0},
                        reference={"total_cost_usd": 0.5 + 1e-9, "mean_quality": 0.5481 + 1e-7,
                                   "p95_latency_ms": 900.2})
    assert "rs-delta" not in cards.__panel__().object
    cards.reference = {**cards.reference, "mean_quality": 0.5441}
    assert "+0.004" in cards.__panel__().object


def test_flow_edges_and_sankey_tap(frame: pl.DataFrame) -> None:
    edges = flow_edges(frame, [("decision", "decision"), ("model", "model")], root=True)
    rows = {(s, t): n for s, t, n in edges.iter_rows()}
    assert rows[("traffic", "decision: math")] == 2
    assert rows[("traffic", "decision: (default)")] == 1
    assert rows[("decision: math", "model: r1")] == 2
    assert sum(n for (s, _), n in rows.items() if s == "traffic") == frame.height
    sankey = FlowSankey(frame=frame)
    sankey.__panel__()
    labels = sankey._nodes
    sankey._on_tap([labels.index("decision: (default)")])
    assert sankey.selected == ("decision", "(default)")  # the label: the dashboard's drill-down frame holds it
    sankey._on_tap([labels.index("model: r1")])
    assert sankey.selected == ("model", "r1")
    assert parse_node("v1: code") == ("v1", "code")


def test_threshold_sliders_tune_a_copy() -> None:
    policy = load_policy(COST)
    knobs = threshold_knobs(policy)
    assert [(k.key, k.value, k.low, k.high) for k in knobs] == [("complexity.difficulty.threshold", 0.1, 0.0, 1.0)]
    sliders = ThresholdSliders(policy=policy)
    sliders.__panel__()
    assert sliders.tuned.routing.signals.complexity[0].threshold == 0.1
    sliders.set_value("complexity.difficulty.threshold", 0.4)
    assert sliders.tuned.routing.signals.complexity[0].threshold == 0.4
    assert policy.routing.signals.complexity[0].threshold == 0.1
    assert sliders._sliders["complexity.difficulty.threshold"].value == 0.4
    sliders.reset()
    assert sliders.tuned.routing.signals.complexity[0].threshold == 0.1
    with pytest.raises(KeyError):
        sliders.set_value("complexity.nope.threshold", 0.2)


def test_drilldown_filters_and_click(frame: pl.DataFrame) -> None:
    assert filter_requests(frame, {"decision": None})["request_id"].to_list() == ["c"]
    drill = Drilldown(frame=frame, filters={"model": "r1"})
    drill.__panel__()
    assert drill._table.value["request_id"].tolist() == ["a", "b"]
    assert drill._table.value["prompt"].tolist()[0] == "x y"

    class Click:
        row = 1

    drill._clicked(Click())
    assert drill.selected_request == "b"
    drill.filters = {}
    assert len(drill._table.value) == 4
    drill.filters = {"decision": None}  # e.g. a tap on the Sankey's "(default)" node
    assert drill._table.value["decision"].tolist() == ["(default)"]  # named, not a blank cell
    assert "decision = (default)" in drill._title.object


def test_make_requests_traffic_loads_in_picker_status() -> None:
    picker = TrafficPicker(traffic=make_requests(5))
    assert "5 requests" in picker._status_text()


OFFLINE = REPO / "notebooks" / "policies" / "keyword_tiers.yaml"
REASONING = "keywords.reasoning.bm25_threshold"


@pytest.fixture(scope="module")
def offline_traffic():
    from policies.traffic.testing import make_requests
    return make_requests(400, seed=3)


def test_dashboard_runs_then_slider_changes_metrics(offline_traffic) -> None:
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=load_policy(OFFLINE), traffic=offline_traffic)
    dash.__panel__()
    assert dash.run(), dash.error
    before = dash.cards.values()
    assert before["total_cost_usd"] != "n/a"
    shares = dash.result.summary()["decision_share"]
    assert shares.get("reasoning", 0) > 0, shares
    assert dash._decisions.value["hits"].sum() == offline_traffic.requests.height
    hits_before = int((dash.result.requests["decision"] == "reasoning").sum())
    dash.sliders.set_value(REASONING, 2.0)  # stricter: fewer requests count as reasoning
    hits_after = int((dash.result.requests["decision"] == "reasoning").sum())
    assert hits_after < hits_before
    assert dash.cards.values() != before
    assert "rs-delta" in dash.cards.html()  # deltas against the run at the policy's thresholds
    assert dash.simulator().store.computed == len(dash.simulator().store.columns)  # no raw recomputation


def test_dashboard_drill_and_explain(offline_traffic) -> None:
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=load_policy(OFFLINE), traffic=offline_traffic)
    dash.__panel__()
    assert dash.run(), dash.error
    dash.sankey._on_tap([dash.sankey._nodes.index("decision: reasoning")])
    rows = dash.drilldown.rows()
    assert rows.height == int((dash.result.requests["decision"] == "reasoning").sum()) > 0
    assert set(rows["decision"].to_list()) == {"reasoning"}

    class Click:
        row = 0

    dash.drilldown._clicked(Click())
    rid = dash.drilldown.selected_request
    assert dash.explanation.request_id == rid
    assert "keyword(reasoning)" in dash.explanation._trees.object
    assert dash.explanation.explanation.decision == "reasoning"
    assert dash.explanation._body.visible


def test_dashboard_bad_traffic_keeps_last_result(offline_traffic, tmp_path: Path) -> None:
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=load_policy(OFFLINE), traffic=offline_traffic)
    dash.__panel__()
    assert dash.run()
    good = dash.result
    dash.picker.source = "File"
    dash.picker._file.param.update(value=b"not json at all\x00\x01", filename="bad.parquet")
    assert dash.picker.load() is False
    assert dash.traffic is offline_traffic and dash.result is good
    assert dash.picker.error


def _bokeh_models(viewable) -> tuple[object, set[str]]:
    """Render ``viewable`` into a fresh Bokeh document; returns the document and its model ids."""
    import panel as pn
    from bokeh.document import Document

    doc = Document()
    doc.add_root(pn.panel(viewable).get_root(doc))
    return doc, {m.id for m in doc.models}


def test_sankey_update_patches_data_of_the_same_figure(frame: pl.DataFrame) -> None:
    sankey = FlowSankey(frame=frame)
    doc, before = _bokeh_models(sankey)
    nodes = sankey._sources["nodes"]
    assert [label for label in nodes.data["label"] if label] == sankey._nodes
    fewer = frame.with_columns(pl.lit("r1").alias("model"), pl.lit("math").alias("decision"))
    sankey.frame = fewer  # 3 nodes instead of 6: rows are blanked, never removed
    assert {m.id for m in doc.models} == before  # no new Bokeh model: only data changed
    assert sorted(sankey._nodes) == ["decision: math", "model: r1", "traffic"]
    assert len(nodes.data["label"]) == 6 and nodes.data["label"][3:] == ["", "", ""]
    nodes.selected.indices = [sankey._nodes.index("model: r1")]  # what a tap in the browser sets
    assert sankey.selected == ("model", "r1")


def test_dashboard_slider_move_sends_data_only(offline_traffic) -> None:
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=load_policy(OFFLINE), traffic=offline_traffic)
    doc, _ = _bokeh_models(dash)
    assert dash.run(), dash.error
    before = {m.id for m in doc.models}
    edges = dash.sankey.edges()
    dash.sliders.set_value(REASONING, 2.0)
    assert not dash.sankey.edges().equals(edges)  # the flow did change ...
    assert {m.id for m in doc.models} == before  # ... yet the figures, tables and cards are the same models


def test_cost_quality_points_and_padding(offline_traffic) -> None:
    from widgets.simulation_dashboard import SimulationDashboard

    dash = SimulationDashboard(policy=load_policy(OFFLINE), traffic=offline_traffic)
    assert dash.run(), dash.error
    data = dash._plot.source.data
    models = dash.result.outcomes.models
    assert data["label"][:len(models)] == [f"all {m}" for m in models]
    assert data["label"][-1] == "policy" and data["total_cost"][-1] == dash.result.summary()["total_cost_usd"]
    rows = len(data["label"])
    dash._plot.show(dash.result, dash.result.summary(), None)  # no as-written point: one row fewer, blanked
    data = dash._plot.source.data
    assert len(data["label"]) == rows and data["label"][-1] == "" and data["total_cost"][-1] != data["total_cost"][-1]


def test_table_data_sends_only_changed_frames(frame: pl.DataFrame) -> None:
    import panel as pn

    from widgets.table_data import TableData

    table = pn.widgets.Tabulator()
    sent: list[int] = []
    table.param.watch(lambda event: sent.append(len(event.new)), "value")
    data = TableData(table)
    assert data.show(frame) and sent == [4]
    assert not data.show(frame.clone()) and sent == [4]  # equal rows: the browser is not asked to redraw
    changed = frame.with_columns(pl.when(pl.col("request_id") == "c").then(pl.lit("math"))
                                 .otherwise(pl.col("decision")).alias("decision"))
    assert data.show(changed) and sent == [4, 4]
    assert table.value["decision"].tolist() == ["math", "math", "math", "code"]


def test_drilldown_pages_and_sorts_the_requests_itself() -> None:
    """The table holds one page; paging and header sorting run over every matching request."""
    from widgets.drilldown import PAGE_SIZE

    n = 2 * PAGE_SIZE + 3
    frame = pl.DataFrame({"request_id": [f"r{i:03d}" for i in range(n)], "prompt": ["p"] * n,
                          "decision": ["a" if i % 2 else None for i in range(n)], "model": ["m"] * n,
                          "cost_usd": [float(i) for i in range(n)], "latency_ms": [1.0] * n, "quality": [0.5] * n})
    drill = Drilldown(frame=frame)
    drill.__panel__()
    assert drill._table.value["request_id"].tolist() == [f"r{i:03d}" for i in range(PAGE_SIZE)]
    assert drill._where.object == "Page 1 of 3" and drill._pager["prev"].disabled
    drill.turn("last")
    assert drill._table.value["request_id"].tolist() == [f"r{i:03d}" for i in range(2 * PAGE_SIZE, n)]
    assert drill._pager["next"].disabled and not drill._pager["prev"].disabled
    drill.turn("prev")
    assert drill._table.value["request_id"].iloc[0] == f"r{PAGE_SIZE:03d}"
    drill.frame = frame.with_columns(pl.col("latency_ms") * 2)  # a threshold move keeps the page
    assert drill.page == 2 and drill._table.value["latency_ms"].iloc[0] == 2.0

    class Click:
        row = 0

    drill._clicked(Click())  # a row of the page shown
    assert drill.selected_request == f"r{PAGE_SIZE:03d}"
    drill._table.sorters = [{"field": "cost_usd", "dir": "desc"}]  # what a header click sets: the top of the new order
    assert drill.page == 1
    assert drill._table.value["cost_usd"].tolist() == [float(i) for i in range(n - 1, n - 1 - PAGE_SIZE, -1)]
    drill.filters = {"decision": None}  # a new drill-down starts on page 1
    assert drill.page == 1 and drill._title.object.endswith(f"({(n + 1) // 2:,})")
    assert drill._table.value["cost_usd"].iloc[0] == float(n - 1 if (n - 1) % 2 == 0 else n - 2)
