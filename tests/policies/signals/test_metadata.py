"""Metadata signals as the router matches them (metadataRuleMatches, classifier_signal_metadata.go).

Pinned rules the studio once got wrong: a predicate with no comparator never fires (it fired when the
key existed); an empty ``in`` list counts as unset, so a later ``exists`` applies; the key is looked up
exactly, dots and dashes included; vllm-sr 0.4.0's "exactly one comparator" and trimmed-key rules are
validation errors. The simulation's leaf and the solver's atom agree on every case.
"""

from __future__ import annotations

import polars as pl
import pytest
import z3

from policies.columns import fired_column
from policies.conflicts.encoding import Encoding
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.simulation import Simulator
from tests.policies.simulation.conftest import make_policy, requests_from_prompts

METADATA = [{"tier": "gold", "x-team.name": "ops"}, {"tier": "silver"}, {}, None]


def _fired(spec: dict) -> list[bool]:
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "metadata", "name": "m"}]}}],
                         {"metadata": [{"name": "m", **spec}]})
    requests = requests_from_prompts(["hi"] * len(METADATA), metadata=METADATA)
    return Simulator(requests).simulate(policy).requests[fired_column(("metadata", "m"))].to_list()


def _solver(spec: dict, value: str | None) -> bool:
    """Whether the atom can hold when the key carries ``value`` (None: absent)."""
    routing = Routing.from_spec({"signals": {"metadata": [{"name": "m", **spec}]}})
    encoding = Encoding(routing)
    atom = encoding.atom(RuleNode.from_spec({"type": "metadata", "name": "m"}))
    var = f"meta:{spec['key']}"
    pinned = encoding.pool.present(var) if value is None else encoding.pool.is_(var, value)
    solver = z3.Solver()
    solver.add(*encoding.pool.background, pinned if value is not None else z3.Not(pinned), atom)
    return solver.check() == z3.sat


@pytest.mark.parametrize("spec,expected", [
    ({"key": "tier", "predicate": {}}, [False, False, False, False]),  # no comparator: never (was: key exists)
    ({"key": "tier", "predicate": {"in": [], "exists": True}}, [True, True, False, False]),  # empty in is unset
    ({"key": "tier", "predicate": {"exists": False}}, [False, False, True, True]),
    ({"key": "tier", "predicate": {"equals": "gold", "exists": False}}, [True, False, False, False]),  # equals first
    ({"key": "x-team.name", "predicate": {"equals": "ops"}}, [True, False, False, False]),  # exact key
])
def test_comparators_follow_the_router_and_the_solver_agrees(spec, expected):
    assert _fired(spec) == expected
    values = [(meta or {}).get(spec["key"]) for meta in METADATA]
    assert [_solver(spec, value) for value in values] == expected


def _codes(spec: dict) -> list[str]:
    signal = Routing.from_spec({"signals": {"metadata": [{"name": "m", **spec}]}}).find_signal("metadata", "m")
    return [finding.code for finding in signal.check(("signals", "metadata", 0))]


@pytest.mark.parametrize("spec,codes", [
    ({"key": "tier", "predicate": {"equals": "gold"}}, []),
    ({"key": "tier", "predicate": {}}, ["metadata-predicate"]),
    ({"key": "tier", "predicate": {"equals": "gold", "exists": True}}, ["metadata-predicate"]),
    ({"key": " tier", "predicate": {"exists": True}}, ["metadata-key"]),
])
def test_validation_requires_one_comparator_and_a_trimmed_key(spec, codes):
    assert _codes(spec) == codes


def test_a_dotted_key_is_not_a_json_path():
    frame = pl.DataFrame({"m": ['{"x-team.name": "ops", "x": {"team": "no"}}']})
    assert frame.select(pl.col("m").str.json_path_match("$.x-team.name"))["m"].to_list() == [None]
