"""The studio session's shared simulators: Compare and Explain reuse what the Simulation tab extracted."""

from __future__ import annotations

from pathlib import Path

from policies.loader import load_policy
from policies.traffic.testing import make_requests
from widgets.compare import CompareView
from widgets.simulation_dashboard import SimulationDashboard
from widgets.simulators import Simulators, traffic_key
from widgets.threshold_sliders import with_thresholds

OFFLINE = Path(__file__).resolve().parents[2] / "notebooks" / "policies" / "keyword_tiers.yaml"


def test_same_rows_share_a_simulator_other_rows_do_not() -> None:
    simulators = Simulators(limit=2)
    first, again, other = make_requests(200, seed=7), make_requests(200, seed=7), make_requests(200, seed=8)
    assert first is not again and traffic_key(first) == traffic_key(again) != traffic_key(other)
    shared = simulators.get(first)
    assert simulators.get(again) is shared
    assert simulators.get(other) is not shared
    assert simulators.context is simulators.get(other).context  # Explain: the latest simulator's models
    simulators.get(make_requests(200, seed=9))
    assert simulators.get(first) is not shared  # only the two most recently used are kept


def test_compare_reuses_the_dashboards_extraction() -> None:
    simulators = Simulators()
    policy = load_policy(OFFLINE)
    dash = SimulationDashboard(policy=policy, traffic=make_requests(300, seed=7), simulators=simulators)
    assert dash.run(), dash.error
    store = dash.simulator().store
    computed = store.computed
    assert computed > 0
    view = CompareView(policy=with_thresholds(policy, {"keywords.reasoning.bm25_threshold": 2.5}),
                       simulators=simulators)
    view.picker.traffic = make_requests(300, seed=7)  # its own picker loads the same rows again
    assert view.run(view.baselines()[-1]), view.compare.error
    assert view.compare.simulator is dash.simulator()
    assert store.computed == computed  # a threshold variant: no signal extracted again


def test_explain_view_uses_the_latest_simulations_context() -> None:
    from widgets.explain import ExplainView

    simulators = Simulators()
    policy = load_policy(OFFLINE)
    simulator = simulators.get(make_requests(50, seed=7))
    view = ExplainView(policy=policy, simulators=simulators)
    found = view.explain("Prove that there are infinitely many primes, step by step")
    assert found is not None and view.detail.context is simulator.context
