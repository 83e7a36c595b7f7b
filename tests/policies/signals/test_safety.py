"""Safety signals' validation and solver view, as the router defines them (safety_signal.go,
classifier_signal_safety.go; vllm-sr 0.4.0 cli/models_safety.py).

Pinned rules the studio once got wrong: a threshold of 0 is refused (vllm-sr requires (0, 1]);
``unsafe_labels`` must be a proper subset of ``labels`` (defaults safe/unsafe and unsafe); hazard
categories must be hazard labels; the solver's risk is per model *and* unsafe-label set (two rules
over one model with different unsafe labels shared one score), and a hazard block gates the match.
"""

from __future__ import annotations

import pytest
import z3

from policies.conflicts.encoding import Encoding
from policies.model import RuleNode
from policies.model.routing import Routing

HAZARD = {"labels": ["violence", "self_harm"], "categories": ["violence"], "threshold": 0.6}


def _codes(spec: dict) -> list[str]:
    signal = Routing.from_spec({"signals": {"safety": [{"name": "s", **spec}]}}).find_signal("safety", "s")
    return [f.code for f in signal.check(("signals", "safety", 0))]


@pytest.mark.parametrize("spec,codes", [
    ({"threshold": 0.5}, []),
    ({"threshold": 0.5, "hazard": HAZARD}, []),
    ({"threshold": 0}, ["safety-threshold"]),
    ({"threshold": 0.5, "labels": ["safe", "unsafe"], "unsafe_labels": ["safe", "unsafe"]}, ["safety-labels"]),
    ({"threshold": 0.5, "labels": ["unsafe"]}, ["safety-labels"]),
    ({"threshold": 0.5, "hazard": HAZARD | {"categories": ["fraud"]}}, ["safety-hazard"]),
    ({"threshold": 0.5, "hazard": HAZARD | {"threshold": 0}}, ["safety-hazard"]),
])
def test_validation_follows_vllm_sr(spec, codes):
    assert _codes(spec) == codes


def _atoms(*specs: dict):
    routing = Routing.from_spec({"signals": {"safety": [{"name": f"s{i}", **s} for i, s in enumerate(specs)]}})
    encoding = Encoding(routing)
    return encoding, [encoding.atom(RuleNode.from_spec({"type": "safety", "name": f"s{i}"})) for i in range(len(specs))]


def test_unsafe_label_sets_have_their_own_risk():
    labels = ["safe", "unsafe", "controversial"]
    encoding, (a, b) = _atoms({"threshold": 0.5, "labels": labels},
                              {"threshold": 0.5, "labels": labels, "unsafe_labels": ["unsafe", "controversial"]})
    solver = z3.Solver()
    solver.add(*encoding.pool.background)
    assert solver.check(a, z3.Not(b)) == z3.sat  # different risks: one may fire without the other


def test_a_hazard_block_gates_the_match():
    encoding, (plain, gated) = _atoms({"threshold": 0.5}, {"threshold": 0.5, "hazard": HAZARD})
    solver = z3.Solver()
    solver.add(*encoding.pool.background)
    assert solver.check(plain, z3.Not(gated)) == z3.sat  # unsafe but no selected hazard: no match
    assert solver.check(gated, z3.Not(plain)) == z3.unsat
