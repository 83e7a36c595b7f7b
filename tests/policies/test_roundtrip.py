"""Round trips: import → export → import gives an equal model, and canonical exports equal their input."""

from __future__ import annotations

import copy

import pytest
import yaml

from policies.export import export_documents, export_text
from policies.loader import load_policy, loads_policy
from policies.model import ModelCard

from .conftest import CANONICAL_FILES, OTHER_LAYOUTS


def _without_unexported(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    for card in (spec.get("routing") or {}).get("modelCards") or []:
        for key in ModelCard.NOT_EXPORTED:
            card.pop(key, None)
    return spec


@pytest.mark.parametrize("path", CANONICAL_FILES, ids=lambda p: p.name)
def test_canonical_export_is_semantically_equal_to_the_original(path):
    original = yaml.safe_load(path.read_text())
    policy = load_policy(path)
    docs, _ = export_documents(policy, "vllm-sr")
    assert docs[0] == original
    text, _ = export_text(policy, "vllm-sr")
    assert yaml.safe_load(text) == original


@pytest.mark.parametrize("path", CANONICAL_FILES + list(OTHER_LAYOUTS.values()), ids=lambda p: p.name)
def test_import_export_import_gives_an_equal_model(path):
    first = load_policy(path)
    text, _ = export_text(first, "vllm-sr")
    second = loads_policy(text, "exported.yaml")
    assert second.dialect == "canonical"
    assert second.to_spec() == _without_unexported(first.to_spec())


def test_repository_layout_keeps_quality_scores_in_the_model_but_not_in_exports():
    policy = load_policy(OTHER_LAYOUTS["repository"])
    assert policy.dialect == "repository"
    assert [c.quality_score for c in policy.routing.model_cards] == [0.62, 0.81]
    assert policy.default_model == "qwen3-8b"
    assert policy.providers.models[0].reasoning == {"family": "qwen3"}
    assert policy.providers.models[0].backend_refs[0].provider == "vllm"
    text, notes = export_text(policy)
    assert "quality_score" not in text and "default_model" not in text and "reasoning_family" not in text
    dropped = [n for n in notes if n.code == "not-exported"]  # never left out without a word
    assert [n.path for n in dropped] == [("routing", "modelCards", i, "quality_score") for i in (0, 1)]
    assert all(n.line for n in dropped) and len({n.line for n in dropped}) == 2


def test_legacy_layout_maps_endpoints_signals_and_pii_plugins():
    policy = load_policy(OTHER_LAYOUTS["legacy"])
    assert policy.dialect == "legacy"
    small = policy.provider_model("qwen3-8b")
    assert small.backend_refs[0].endpoint == "127.0.0.1:8000"
    assert [d.name for d in policy.routing.signals.domains] == ["math", "law"]
    guard = policy.routing.decision("legacy_pii_guard")
    assert guard.rules.conditions[0].to_spec() == {"type": "pii", "name": "math_route_pii"}
    assert guard.effective_priority > max(d.effective_priority for d in policy.decisions if d is not guard)
    math = policy.routing.decision("math_route")
    assert [p.type for p in math.plugins] == ["response_cache"]
    not_carried = {n.path for n in policy.import_notes if n.code == "not-carried"}
    assert ("semantic_cache",) in not_carried and ("prompt_guard",) in not_carried


def test_kubernetes_pair_round_trips_through_the_pair_form():
    first = load_policy(OTHER_LAYOUTS["kubernetes"])
    assert first.dialect == "kubernetes"
    assert first.provider_model("qwen3-8b").pricing.prompt_per_1m == 0.18
    assert first.routing.decision("math").model_refs[0].lora_name == "math-lora"
    text, _ = export_text(first, "k8s")
    docs = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in docs] == ["IntelligentPool", "IntelligentRoute"]
    assert docs[0]["spec"]["models"][0]["pricing"]["inputTokenPrice"] == 1.8e-07
    second = loads_policy(text, "pair.yaml")
    assert second.to_spec() == first.to_spec()


def test_semantic_router_resource_wraps_the_canonical_config():
    policy = load_policy(CANONICAL_FILES[0])
    text, _ = export_text(policy, "k8s-semanticrouter")
    doc = yaml.safe_load(text)
    assert doc["kind"] == "SemanticRouter"
    assert loads_policy(text, "sr.yaml").to_spec() == policy.to_spec()


def test_unknown_fields_are_preserved_verbatim():
    text = (CANONICAL_FILES[0]).read_text().replace("  strategy: priority", "  strategy: priority\n  fallback: {mode: x}")
    policy = loads_policy(text, "x.yaml")
    assert policy.routing.extra_fields() == {"fallback": {"mode": "x"}}
    assert yaml.safe_load(export_text(policy)[0])["routing"]["fallback"] == {"mode": "x"}
