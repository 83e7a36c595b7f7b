"""Editing a policy through its DSL view changes only what was edited, in the YAML the user wrote."""

from __future__ import annotations

import difflib

import pytest

from policies.dsl import dumps_dsl
from policies.dsl.sync import edit_routing, editable_in_dsl, rebase
from policies.errors import PolicyError
from policies.loader import load_policy, loads_policy, revise_text
from policies.yaml_source import dump_yaml

from ..conftest import SAMPLES
from .conftest import RECIPES


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_one_threshold_edited_in_the_dsl_is_one_line_of_the_yaml():
    path = RECIPES / "agent" / "config.yaml"
    policy, text = load_policy(path), path.read_text(encoding="utf-8")
    view, _ = dumps_dsl(policy, drop_unsupported=True)
    assert "threshold: 0.72" in view
    spec = edit_routing(policy, view.replace("threshold: 0.72", "threshold: 0.7", 1), "agent.dsl")
    assert _changed_lines(text, revise_text(text, policy.to_spec(), spec, str(path))) == \
        ["-        threshold: 0.72", "+        threshold: 0.7"]
    # what the DSL view leaves out (the adaptations, providers) is kept as it was
    assert spec["providers"] == policy.to_spec()["providers"]
    assert spec["routing"]["decisions"][0]["adaptations"] == {"mode": "bypass"}


def test_a_route_added_in_the_dsl_becomes_a_decision():
    policy = load_policy(SAMPLES / "safety_first.yaml")
    view, _ = dumps_dsl(policy, drop_unsupported=True)
    model = policy.decisions[0].models()[0]
    spec = edit_routing(policy, view + f'\nROUTE added {{\n  PRIORITY 1\n  MODEL "{model}"\n}}\n')
    edited = loads_policy(revise_text((SAMPLES / "safety_first.yaml").read_text(), policy.to_spec(), spec))
    assert [d.name for d in edited.decisions] == [d.name for d in policy.decisions] + ["added"]
    assert edited.routing.decision("added").is_catch_all


def test_a_dsl_edit_that_does_not_compile_is_located_in_the_dsl():
    policy = load_policy(SAMPLES / "safety_first.yaml")
    view, _ = dumps_dsl(policy, drop_unsupported=True)
    with pytest.raises(PolicyError) as exc:
        edit_routing(policy, view.replace("ROUTE ", "ROUTES ", 1), "view.dsl")
    line = view.splitlines().index(next(x for x in view.splitlines() if x.startswith("ROUTE "))) + 1
    assert (exc.value.findings[0].file, exc.value.findings[0].line) == ("view.dsl", line)


def test_a_view_that_leaves_a_route_out_is_not_editable():
    policy = load_policy(SAMPLES / "safety_first.yaml")
    assert editable_in_dsl(policy)
    spec = policy.to_spec()
    first = spec["routing"]["decisions"][0]
    first["rules"] = {"operator": "NOT", "conditions": [first["rules"], first["rules"]]}  # NOT of two: no DSL form
    assert not editable_in_dsl(loads_policy(dump_yaml(spec)))


def test_rebase_applies_only_the_change():
    current = {"a": {"x": 1, "keep": "yaml-only"}, "b": [1, 2], "c": "same"}
    assert rebase(current, {"a": {"x": 1}, "b": [1, 2]}, {"a": {"x": 2}, "b": [1, 2, 3]}) == \
        {"a": {"x": 2, "keep": "yaml-only"}, "b": [1, 2, 3], "c": "same"}
    assert rebase(current, {"a": {"x": 1}}, {}) == {"b": [1, 2], "c": "same"}
