"""Unit tests for the JSON Schema check (policies/validation/schema.py) and the pydantic-layer rules.

Each feature has a failing and a passing input; failing ones also pin the reported line/column
(a mapping value is located at its key, as the loader records it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.loader import loads_policy
from policies.validation import validate_policy
from policies.validation.schema import _Compiler, schema_issues

ROOT = Path(__file__).resolve().parents[3]
BASE = (ROOT / "tests" / "fixtures" / "configs" / "minimal_canonical.yaml").read_text()


def errors(text: str, code: str | None = None):
    found = [f for f in validate_policy(loads_policy(text, "p.yaml")) if f.severity.value == "error"]
    return [f for f in found if code is None or f.code == code]


def at(text: str, needle: str) -> tuple[int, int]:
    """1-based line/column of the first occurrence of ``needle`` in ``text``."""
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def replace(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_fixture_is_clean():
    assert errors(BASE) == []


# -- closed objects ---------------------------------------------------------------------------------
def test_unknown_field_in_nested_object_is_located_with_suggestion():
    text = replace("timeout: 300s}", "timeout: 300s, timeuot: 3}")
    [finding] = [f for f in errors(text, "unknown-field") if f.path[0] == "listeners"]
    assert finding.path == ("listeners", 0, "timeuot")
    assert (finding.line, finding.column) == at(text, "timeuot")
    assert finding.suggestion == "did you mean 'timeout'?"


def test_name_keyed_map_accepts_any_key_but_checks_values():
    good = replace("provider_model_id: Qwen/Qwen3-8B", "provider_model_id: Qwen/Qwen3-8B\n      external_model_ids: {hf: x}")
    bad = good.replace("{hf: x}", "{hf: [1]}")
    assert errors(good) == []
    [finding] = errors(bad, "schema")
    assert finding.path == ("providers", "models", 0, "external_model_ids", "hf")
    assert "expected a string" in finding.message


# -- types, enums, ranges ---------------------------------------------------------------------------
def test_enum_violation_suggests_the_near_value():
    text = replace("aggregation_method: max", "aggregation_method: maxx")
    [finding] = errors(text, "schema")
    assert finding.path == ("routing", "signals", "embeddings", 0, "aggregation_method")
    assert finding.suggestion == "did you mean 'max'?"
    assert (finding.line, finding.column) == at(text, "aggregation_method: maxx")
    assert errors(replace("aggregation_method: max", "aggregation_method: mean")) == []


def test_minimum_bound_from_the_pydantic_layer():
    text = replace("context_window_size: 131072, description: Fast", "context_window_size: 0, description: Fast")
    [finding] = errors(text, "schema")
    assert finding.path == ("routing", "modelCards", 0, "context_window_size")
    assert ">= 1" in finding.message
    assert (finding.line, finding.column) == at(text, "context_window_size: 0")
    assert errors(replace("context_window_size: 131072, description: Fast",
                          "context_window_size: 1, description: Fast")) == []


def test_wrong_type_is_reported_at_the_value():
    text = replace("listeners: [{name: http-8899, address: 0.0.0.0, port: 8899",
                   "listeners: [{name: http-8899, address: [a], port: 8899")
    [finding] = errors(text, "schema")
    assert finding.path == ("listeners", 0, "address")
    assert (finding.line, finding.column) == at(text, "address: [a]")


def test_required_field_from_the_pydantic_layer():
    text = replace("keywords: [{name: urgent, operator: OR, ", "keywords: [{name: urgent, ")
    [finding] = errors(text, "schema")
    assert finding.path == ("routing", "signals", "keywords", 0, "operator")
    assert (finding.line, finding.column) == at(text, "{name: urgent")


# -- if/then: plugin configuration by type ----------------------------------------------------------
def test_plugin_configuration_is_checked_against_its_type():
    text = replace("similarity_threshold: 0.9", "similarity_threshold: 1.5")
    [finding] = errors(text, "schema")
    assert finding.path[-2:] == ("configuration", "similarity_threshold")
    assert (finding.line, finding.column) == at(text, "similarity_threshold: 1.5")
    assert errors(replace("similarity_threshold: 0.9", "similarity_threshold: 1.0")) == []


def test_header_mutation_configuration_is_checked_as_header_mutation():
    text = replace("{add: [{name: X-Route, value: legal}]}", "{add: [{name: X-Route, valeu: legal}]}")
    [finding] = errors(text, "unknown-field")
    assert finding.path[-4:] == ("configuration", "add", 0, "valeu")
    assert finding.suggestion == "did you mean 'value'?"
    assert (finding.line, finding.column) == at(text, "valeu")


# -- ${ENV} numbers and booleans --------------------------------------------------------------------
def test_env_reference_counts_as_number_and_boolean_but_not_as_a_string_typo():
    ok = replace("{enabled: true, similarity_threshold: 0.9, ttl_seconds: 3600}",
                 '{enabled: "${CACHE_ON}", similarity_threshold: 0.9, ttl_seconds: "${CACHE_TTL}"}')
    assert errors(ok) == []
    bad = ok.replace('"${CACHE_TTL}"', '"$CACHE_TTL"')
    [finding] = errors(bad, "schema")
    assert finding.path[-1] == "ttl_seconds"
    assert (finding.line, finding.column) == at(bad, 'ttl_seconds: "$CACHE_TTL"')


# -- keywords the file does not use yet, on a tiny schema -------------------------------------------
@pytest.mark.parametrize("schema, good, bad", [
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc", "ABC"),
    ({"type": "number", "exclusiveMinimum": 0}, 0.1, 0),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 3, 1.5),
    ({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "const": "auto"}]}, "auto", "manual"),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1, 2], [1]),
    ({"type": "string", "minLength": 1}, "a", ""),
])
def test_compiler_keywords(schema, good, bad):
    validate = _Compiler({}).compile(schema)
    ok, ko = [], []
    validate(good, ("x",), ok)
    validate(bad, ("x",), ko)
    assert ok == [] and len(ko) == 1 and ko[0][0] == ("x",)


def test_integer_accepts_integral_floats_and_rejects_booleans():
    validate = _Compiler({}).compile({"type": "integer"})
    out: list = []
    validate(3.0, (), out)
    validate(True, (), out)
    assert len(out) == 1


# -- no duplicates with the checks that own a finding -----------------------------------------------
def test_owned_findings_are_not_repeated():
    text = replace("strategy: priority", "strategy: priorty")
    assert [f.code for f in errors(text)] == ["strategy"]
    text = replace("- name: default_route\n      priority: 0\n", "- name: default_route\n")
    assert [f.code for f in errors(text)] == ["missing-priority"]


def test_recipe_routing_is_checked_with_recipe_paths():
    plugin = "{type: fast_response, configuration: {message: no}, enabeld: true}"
    text = BASE + f"recipes:\n  - name: r\n    routing:\n      decisions: [{{name: d, priority: 1, plugins: [{plugin}]}}]\n"
    [finding] = errors(text, "unknown-field")
    assert finding.path == ("recipes", 0, "routing", "decisions", 0, "plugins", 0, "enabeld")
    assert (finding.line, finding.column) == at(text, "enabeld")


# -- pydantic-layer rules ---------------------------------------------------------------------------
@pytest.mark.parametrize("ref, message", [
    ("{model: qwen3-32b, use_reasoning: true, reasoning_effort: high}", "takes no reasoning_effort"),
    ("{model: qwen3-32b, use_reasoning: false, reasoning_mode: enabled}", "contradicts reasoning_mode"),
    ("{model: qwen3-32b, use_reasoning: true, reasoning_mode: adaptive}", "not one of the family's modes"),
    ("{model: qwen3-32b, use_reasoning: true, reasoning_effort: ' high'}", "surrounding whitespace"),
])
def test_reasoning_controls(ref, message):
    text = replace("modelRefs: [{model: qwen3-32b, use_reasoning: true}]\n      algorithm: {type: static}",
                   f"modelRefs: [{ref}]\n      algorithm: {{type: static}}")
    [finding] = errors(text, "reasoning-control")
    assert message in finding.message
    assert finding.path[:5] == ("routing", "decisions", 1, "modelRefs", 0)
    assert finding.line == at(text, ref)[0]


def test_reasoning_mode_matching_use_reasoning_is_accepted():
    text = replace("modelRefs: [{model: qwen3-32b, use_reasoning: true}]\n      algorithm: {type: static}",
                   "modelRefs: [{model: qwen3-32b, use_reasoning: true, reasoning_mode: enabled}]\n"
                   "      algorithm: {type: static}")
    assert errors(text) == []


def test_model_card_must_name_a_declared_model():
    text = replace("- {name: qwen3-32b, param_size: 32B", "- {name: qwen3-23b, param_size: 32B")
    found = errors(text, "unknown-model")
    assert any(f.path == ("routing", "modelCards", 1, "name") and f.suggestion == "did you mean 'qwen3-32b'?"
               for f in found)


def test_duplicate_backend_names_and_unknown_provider():
    text = replace("backend_refs: [{name: local-8b, provider: vllm,",
                   "backend_refs: [{name: local-8b, provider: vlm, endpoint: 127.0.0.1:9000}, {name: local-8b, provider: vllm,")
    codes = {f.code: f for f in errors(text)}
    assert codes["duplicate-backend"].path == ("providers", "models", 0, "backend_refs", 1, "name")
    assert codes["unknown-provider"].suggestion == "did you mean 'vllm'?"


def test_duplicate_projection_names():
    text = (ROOT / "sample_data" / "policies" / "multi_domain_experts.yaml").read_text()
    assert errors(text) == []
    line = next(x for x in text.splitlines(keepends=True) if x.startswith("      - {name: subject,"))
    doubled = text.replace(line, line + line, 1)
    [finding] = errors(doubled, "duplicate-projection")
    assert finding.path == ("routing", "projections", "partitions", 1, "name")
    assert finding.line == at(doubled, line)[0] + 1


# -- scale ----------------------------------------------------------------------------------------
def test_fifty_decision_config_passes_the_schema_and_the_validator():
    """Correctness at the size whose timing ``benchmarks/bench_validation.py`` checks (wall-clock limits
    live there: a busy machine must not fail a test)."""
    decision = ("    - name: d{i}\n      priority: {i}\n      rules: {{operator: AND, conditions: [{{type: domain, name: math}},"
                " {{operator: NOT, conditions: [{{type: keyword, name: urgent}}]}}]}}\n"
                "      modelRefs: [{{model: qwen3-8b, use_reasoning: false}}]\n"
                "      plugins: [{{type: system_prompt, configuration: {{enabled: true, system_prompt: hi}}}}]\n")
    text = BASE.replace("  decisions:\n", "  decisions:\n" + "".join(decision.format(i=i) for i in range(46)), 1)
    policy = loads_policy(text)
    assert len(policy.decisions) == 50
    assert schema_issues(policy.to_spec()) == []
    assert [f.human() for f in validate_policy(policy) if f.severity.value == "error"] == []
