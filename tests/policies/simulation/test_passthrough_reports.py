"""Requests routed by model name read right in reports, comparisons, explanations and sweeps.

A passthrough request (it named a configured model) reaches no decision, yet the router never
evaluated one: it is not default-routed. Traffic goes through the real chat-log reader with the
recipes fixture of test_recipes.py (12 requests: 4 passthrough, 3 routed that match no decision).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from policies.commands.simulation_text import decision_lines, summary_lines
from policies.formatting import DEFAULT_LABEL, PASSTHROUGH_LABEL
from policies.loader import load_policy
from policies.model import Policy
from policies.model.recipes import PASSTHROUGH
from policies.simulation import Simulator
from policies.simulation.compare import compare
from policies.simulation.explain import explain
from policies.simulation.sweep import sweep, with_signal_field
from policies.traffic import read_traffic

from .test_recipes import CASES, CONFIG, traffic_file  # noqa: F401  (a fixture)

PASSED = {rid for rid, _, _, (route, *_rest) in CASES if route == PASSTHROUGH}
DEFAULTED = {rid for rid, _, _, (route, _, decision, _) in CASES if route != PASSTHROUGH and decision is None}


@pytest.fixture
def policy() -> Policy:
    return load_policy(CONFIG)


@pytest.fixture
def simulator(traffic_file: Path) -> Simulator:  # noqa: F811
    return Simulator(read_traffic(traffic_file))


def test_fixture_has_both_kinds_of_decisionless_request() -> None:
    assert len(PASSED) == 4 and len(DEFAULTED) == 3


def test_passthrough_has_its_own_share_and_row(policy: Policy, simulator: Simulator) -> None:
    result = simulator.simulate(policy)
    summary = result.summary()
    n = len(CASES)
    assert summary["default_route_share"] == pytest.approx(len(DEFAULTED) / n)  # reached routing, no match
    assert summary["passthrough_share"] == pytest.approx(len(PASSED) / n)
    rows = {r["decision"]: r for r in result.per_decision().iter_rows(named=True)}
    assert list(rows)[-2:] == [DEFAULT_LABEL, PASSTHROUGH_LABEL]  # the decisions, then these two
    assert rows[DEFAULT_LABEL]["hits"] == len(DEFAULTED) and rows[PASSTHROUGH_LABEL]["hits"] == len(PASSED)
    served = {m["model"]: m["count"] for m in rows[PASSTHROUGH_LABEL]["models"]}
    assert served == {"large": 2, "small": 2}  # the models they named (provider id, LoRA: their models)
    assert sum(r["hits"] for r in rows.values()) == n


def test_without_passthrough_there_is_no_passthrough_row(policy: Policy, simulator: Simulator) -> None:
    result = simulator.simulate(policy, "")  # one profile forced: no request is routed by model name
    assert PASSTHROUGH_LABEL not in result.per_decision()["decision"].to_list()
    assert result.summary()["passthrough_share"] == 0
    assert not any(PASSTHROUGH_LABEL in line for line in summary_lines(result.summary()))


def test_cli_text_prints_the_passthrough_share(policy: Policy, simulator: Simulator) -> None:
    result = simulator.simulate(policy)
    lines = summary_lines(result.summary())
    assert "default route 25.0%" in lines[1]
    assert any(line.startswith(f"{PASSTHROUGH_LABEL} 33.3%: named a configured model") for line in lines)
    table = [line.split() for line in decision_lines(result.per_decision().iter_rows(named=True))]
    assert [PASSTHROUGH_LABEL, "4", "33.3%"] == table[-1][:3]  # one word: the table still splits into columns


def test_comparison_labels_passthrough_requests(policy: Policy, simulator: Simulator) -> None:
    result = simulator.simulate(policy)
    pairs = compare(result, result, n_boot=10).pairs
    labels = dict(zip(pairs["request_id"], pairs["decision_a"]))
    assert {rid for rid, label in labels.items() if label == PASSTHROUGH_LABEL} == PASSED
    assert {rid for rid, label in labels.items() if label == DEFAULT_LABEL} == DEFAULTED


def test_explanation_follows_the_requests_route(policy: Policy, simulator: Simulator) -> None:
    rows = {r["request_id"]: r for r in simulator.simulate(policy).requests.iter_rows(named=True)}
    for rid, _model, _prompt, (route, recipe, decision, model) in CASES:
        found = explain(simulator, policy, rid)
        assert (found.decision, found.model, found.via, found.recipe) == (decision, model, route, recipe), rid
        assert (found.decision, found.model) == (rows[rid]["decision"], rows[rid]["model"]), rid
    passed = explain(simulator, policy, "direct-large")
    assert passed.label == PASSTHROUGH_LABEL and passed.signals == [] and passed.route.trees == {}
    text = passed.text()
    assert "passed through to large" in text and "no signal and no decision" in text and "decisions:" not in text
    coding = explain(simulator, policy, "coder-urgent")  # the coding recipe has no 'urgent' signal
    assert coding.label == DEFAULT_LABEL and list(coding.route.trees) == ["code_help"]
    assert "recipe coding, chosen by model name 'coder' (route: entrypoint)" in coding.text()


def test_an_explicit_profile_still_forces_it(policy: Policy, simulator: Simulator) -> None:
    forced = explain(simulator, policy, "direct-large", profile="")
    assert forced.decision == "urgent_route" and forced.via is None and forced.route_note() is None


def test_sweep_routes_as_simulate(policy: Policy, simulator: Simulator) -> None:
    values = [["urgent", "asap"], ["nothing"]]
    table = sweep(simulator, policy, "keyword", "urgent", values, field="keywords")
    for row, value in zip(table.iter_rows(named=True), values):
        single = simulator.simulate(with_signal_field(policy, "keyword", "urgent", "keywords", value))
        requests = single.requests
        assert row["total_cost_usd"] == pytest.approx(requests["cost_usd"].sum())
        assert row["default_share"] == pytest.approx(single.summary()["default_route_share"])
        for decision in ("urgent_route", "code_help"):
            assert row[f"hits::{decision}"] == requests.filter(pl.col("decision") == decision).height
    assert table["hits::urgent_route"].to_list() == [4, 0]  # passthrough and coding requests never reach it
