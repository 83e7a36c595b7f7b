"""The compare view alone: transitions, deltas with intervals, changed requests, solver verdict."""

from __future__ import annotations

from pathlib import Path

import polars.selectors as cs
import pytest

from policies.loader import load_policy
from policies.traffic.testing import make_requests
from widgets.compare import PolicyCompare
from widgets.threshold_sliders import with_thresholds

OFFLINE = Path(__file__).resolve().parents[2] / "notebooks" / "policies" / "keyword_tiers.yaml"


@pytest.fixture(scope="module")
def traffic():
    return make_requests(300, seed=7)


def test_compare_two_versions(traffic) -> None:
    a = load_policy(OFFLINE)
    b = with_thresholds(a, {"keywords.reasoning.bm25_threshold": 2.5})  # 'reasoning' never fires in B
    view = PolicyCompare(policy_a=a, policy_b=b, traffic=traffic)
    view.__panel__()
    assert view.run(), view.error
    moved = view.comparison.changed
    assert moved.height > 0 and set(moved["decision_a"]) == {"reasoning"}
    assert f"**{moved.height:,}** of 300" in view._summary.object
    deltas = view._deltas.value.set_index("value")
    assert deltas.loc["B − A", "total cost (USD)"] < 0  # gpt-4o traffic moves to the cheap default
    low, high = deltas.loc[["95% low", "95% high"], "total cost (USD)"]
    assert low <= deltas.loc["B − A", "total cost (USD)"] <= high
    unformatted = [c for data in (view._delta_data, view.changed._data)
                   for c in data.frame.select(cs.numeric()).columns if c not in data.table.formatters]
    assert not unformatted, f"numbers shown without their unit's format: {unformatted}"
    # the solver sees BM25 scores as opaque, so a threshold-only change is "equivalent" logic: said so
    assert all(r.equivalent for r in view.verdicts)
    assert "opaque score" in view._verdict.object
    edges = {(s, t): n for s, t, n in view.sankey.edges().iter_rows()}
    assert edges[("A: reasoning", "B: (default)")] == moved.height
    view.sankey._on_tap([view.sankey._nodes.index("A: reasoning")])
    assert view.changed.rows().height == moved.height


def test_priority_change_gets_a_distinguishing_request(traffic) -> None:
    a = load_policy(OFFLINE)
    spec = a.to_spec()
    spec["routing"]["decisions"][3]["priority"] = 160  # business now outranks reasoning
    view = PolicyCompare(policy_a=a, policy_b=type(a).from_spec(spec), traffic=traffic)
    assert view.run(), view.error
    assert any(r.equivalent is False for r in view.verdicts)
    assert "Distinguishing request" in view._verdict.object and "opaque score" not in view._verdict.object


def test_identical_versions_are_proved_equivalent(traffic) -> None:
    a = load_policy(OFFLINE)
    view = PolicyCompare(policy_a=a, policy_b=a.copy_policy(), traffic=traffic)
    assert view.run(), view.error
    assert view.comparison.changed.height == 0
    assert all(r.equivalent for r in view.verdicts)
    assert "proved equivalent" in view._verdict.object


def test_missing_version_is_an_error_not_a_crash(traffic) -> None:
    view = PolicyCompare(policy_a=load_policy(OFFLINE), traffic=traffic)
    assert view.run() is False and "both policy versions" in view.error


def test_compare_view_uses_a_stored_baseline(tmp_path: Path, traffic) -> None:
    from policies.storage import Store
    from widgets.compare import AS_OPENED, CompareView

    b = with_thresholds(load_policy(OFFLINE), {"keywords.reasoning.bm25_threshold": 2.5})
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    store.save_version("tiers", OFFLINE.read_text(), "tester", "first")
    view = CompareView(policy=b, store=store)
    view.__panel__()
    assert view.baselines() == ["tiers v1", AS_OPENED]
    view.picker.traffic = traffic
    assert view.run("tiers v1"), view.compare.error
    assert view.compare.comparison.changed.height > 0
    assert view.run(AS_OPENED) and view.compare.comparison.changed.height == 0
