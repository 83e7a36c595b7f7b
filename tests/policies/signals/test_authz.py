"""Role bindings as the router's AuthzClassifier evaluates them (authz_classifier.go).

Pinned rules the studio once got wrong: subject kinds compare trimmed and lower case, subject names
trimmed (a binding written ``kind: " Group "`` or ``name: " alice "`` never matched); the bindings the
router refuses at start-up (no role, no subjects, a kind other than User/Group, a blank name) are
validation errors.
"""

from __future__ import annotations

import pytest

from policies.columns import fired_column
from policies.model.routing import Routing
from policies.simulation import Simulator
from tests.policies.simulation.conftest import make_policy, requests_from_prompts


def _fired(binding: dict, users: list[str | None], metadata: list[dict | None]) -> list[bool]:
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "authz", "name": "r"}]}}],
                         {"role_bindings": [{"name": "r", "role": "r", **binding}]})  # conditions name the role
    requests = requests_from_prompts(["hi"] * len(users), user_id=users, metadata=metadata)
    return Simulator(requests).simulate(policy).requests[fired_column(("authz", "r"))].to_list()


def test_subject_kind_and_name_are_trimmed():
    binding = {"subjects": [{"kind": " user ", "name": " alice "}, {"kind": "GROUP", "name": " ops\t"}]}
    fired = _fired(binding, ["alice", "bob", "carol", None],
                   [None, {"groups": ["dev", "ops"]}, {"user_groups": "dev, ops"}, {"groups": ["dev"]}])
    assert fired == [True, True, True, False]


def _codes(binding: dict) -> list[tuple[str, tuple]]:
    signal = Routing.from_spec({"signals": {"role_bindings": [{"name": "b", **binding}]}}).find_signal("authz", "b")
    return [(f.code, f.path[3:]) for f in signal.check(("signals", "role_bindings", 0))]


@pytest.mark.parametrize("binding,expected", [
    ({"role": "r", "subjects": [{"kind": "User", "name": "a"}]}, []),
    ({"role": " ", "subjects": [{"kind": "User", "name": "a"}]}, [("authz-binding", ("role",))]),
    ({"role": "r", "subjects": []}, [("authz-binding", ("subjects",))]),
    ({"role": "r", "subjects": [{"kind": "Team", "name": "a"}]}, [("authz-binding", ("subjects", 0, "kind"))]),
    ({"role": "r", "subjects": [{"kind": "Group", "name": "  "}]}, [("authz-binding", ("subjects", 0, "name"))]),
])
def test_bindings_the_router_refuses_are_errors(binding, expected):
    assert _codes(binding) == expected
