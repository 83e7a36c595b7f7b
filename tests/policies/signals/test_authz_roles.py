"""Role bindings emit their role: conditions name roles at run time, vllm-sr 0.4.0 wants binding names.

``AuthzClassifier.Classify`` (the router's authz_classifier.go) returns the matched bindings'
roles, deduplicated; a condition fires on a role. The simulation and the solver follow that; a
condition naming a binding whose role differs is an error that says why it never fires.
"""

from __future__ import annotations

import json

import polars as pl

from policies.conflicts.encoding import Encoding
from policies.loader import loads_policy
from policies.model import RuleNode
from policies.simulation.engine import Simulator
from policies.validation import validate_policy

POLICY = """\
version: v0.3
providers:
  defaults: {model: small}
  models:
    - {name: small, backend_refs: [{name: a, endpoint: "127.0.0.1:8000", protocol: http, weight: 1}]}
    - {name: large, backend_refs: [{name: b, endpoint: "127.0.0.1:8001", protocol: http, weight: 1}]}
routing:
  signals:
    role_bindings:
      - {name: admin, role: admin, subjects: [{kind: User, name: alice}]}
      - {name: admin-ops, role: admin, subjects: [{kind: Group, name: ops}]}
      - {name: auditors, role: auditor, subjects: [{kind: User, name: carol}]}
  decisions:
    - {name: admins, priority: 2, rules: {type: authz, name: admin}, modelRefs: [{model: large, use_reasoning: false}]}
    - {name: audit, priority: 1, rules: {type: authz, name: auditors}, modelRefs: [{model: large, use_reasoning: false}]}
"""


def _traffic() -> pl.DataFrame:
    rows = [("r1", "alice", []), ("r2", "bob", ["ops"]), ("r3", "carol", []), ("r4", "dave", ["dev"])]
    return pl.DataFrame({"request_id": [r[0] for r in rows], "user_id": [r[1] for r in rows],
                         "metadata": [json.dumps({"groups": r[2]}) for r in rows],
                         "prompt": ["hello"] * len(rows)})


def test_a_role_fires_for_every_binding_that_grants_it_and_a_binding_name_never_does() -> None:
    policy = loads_policy(POLICY, "p.yaml")
    result = Simulator(_traffic()).simulate(policy)
    decisions = dict(zip(result.requests["request_id"], result.requests["decision"]))
    assert decisions == {"r1": "admins", "r2": "admins", "r3": None, "r4": None}  # carol's role is 'auditor'


def test_validation_says_why_a_binding_name_never_fires() -> None:
    findings = [f for f in validate_policy(loads_policy(POLICY, "p.yaml")) if f.code == "authz-role"]
    assert len(findings) == 1 and "'auditor'" in findings[0].message and findings[0].line is not None


def test_the_solver_knows_the_binding_name_condition_never_fires() -> None:
    import z3

    encoding = Encoding(loads_policy(POLICY, "p.yaml").routing)
    assert z3.is_false(z3.simplify(encoding.atom(RuleNode.leaf("authz", "auditors"))))
    assert not z3.is_false(z3.simplify(encoding.atom(RuleNode.leaf("authz", "admin"))))
