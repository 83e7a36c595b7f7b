"""The router's deployment layouts open without silent loss (issue 13, items 1-2): SemanticRouter resources,
Helm values, fragments; and the compatibility table's export check by vllm-sr 0.4.0 over every upstream file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policies import vllm_sr_check
from policies.commands import main
from policies.errors import PolicyError, Severity
from policies.export import export_text
from policies.loader import load_policy, loads_policy

from .conftest import ROOT

UPSTREAM = ROOT / "tests" / "fixtures" / "upstream"
OPERATOR = UPSTREAM / "operator"
HELM = UPSTREAM / "helm"
SHARED = ROOT.parent / "shared" / "data" / "vllm-sr-upstream"
SAMPLES = sorted(OPERATOR.glob("*.yaml"))


def _line(path: Path, text: str, start: bool = False) -> int:
    """1-based line of the first line of ``path`` that contains (or, with ``start``, starts with) ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1)
                if (line.startswith(text) if start else text in line))


def _spec(path: Path) -> dict:
    return next(yaml.safe_load_all(path.read_text()))["spec"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_semanticrouter_models_come_from_vllm_endpoints(path):
    """Each vllmEndpoints model is a provider model whose backends the operator would generate (by name order); a
    config in spec.authoringConfig adds its own models."""
    policy = load_policy(path)
    endpoints = _spec(path).get("vllmEndpoints") or []
    authored = (_spec(path).get("authoringConfig") or {}).get("providers", {}).get("models", [])
    assert policy.model_names() == sorted({e["model"] for e in endpoints} | {m["name"] for m in authored})
    if endpoints:
        assert policy.default_model == sorted(e["model"] for e in endpoints)[0]


def test_semanticrouter_endpoints_resolve_as_the_operator_does():
    policy = load_policy(OPERATOR / "vllm.ai_v1alpha1_semanticrouter_llamastack.yaml")
    refs = {m.name: [r.to_spec() for r in m.backend_refs or []] for m in policy.providers.models}
    assert refs == {
        "llama-3-8b": [{"name": "vllm-fallback", "endpoint": "vllm-llama.llama-serving.svc.cluster.local:8000",
                        "protocol": "http", "weight": 1, "provider": "vllm"}],
        "llama-3.1-8b-instruct": [],  # its Service is not in the file: only the cluster can say
        "llama-3.3-70b-instruct": [{"name": "llama-3-3-70b-endpoint", "provider": "vllm", "protocol": "http",
                                    "endpoint": "llama-stack-70b.llama-serving.svc.cluster.local:8000", "weight": 1}],
        "qwen2.5-7b": [{"name": "kserve-qwen-endpoint", "protocol": "https", "weight": 1, "provider": "vllm",
                        "endpoint": "qwen-2-5-7b-predictor.llama-serving.svc.cluster.local:8443"}],
    }
    unresolved = [f for f in policy.import_notes if f.code == "k8s-unresolved"]
    assert [(f.severity, f.line) for f in unresolved] == [
        (Severity.WARNING, _line(OPERATOR / "vllm.ai_v1alpha1_semanticrouter_llamastack.yaml",
                                 "- name: llama-3-1-8b-endpoint"))]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_semanticrouter_field_is_reported_with_its_line(path):
    """Nothing is lost silently: each deployment field and router-global block has a located note."""
    notes = {f.path[-1]: f for f in load_policy(path).import_notes if f.code == "k8s-carried"}
    spec = _spec(path)
    expected = (set(spec) - {"config", "vllmEndpoints", "authoringConfig"}) | (  # authoringConfig: the config
        set(spec.get("config") or {}) & {"api", "classifier", "embedding_models", "observability", "prompt_guard",
                                          "response_cache", "semantic_cache", "tools"})
    assert set(notes) == expected
    for key, note in notes.items():
        lines = path.read_text().splitlines()
        after = _line(path, "  config:", start=True) if note.path[-2] == "config" else 0  # spec.config.<key>
        indent = "    " if after else "  "
        line = next(i for i, text in enumerate(lines, 1) if i > after and text.startswith(f"{indent}{key}:"))
        assert note.file == str(path) and note.line == line


def test_semanticrouter_inner_config_in_the_crd_layout_is_converted():
    path = OPERATOR / "vllm.ai_v1alpha1_semanticrouter_complexity.yaml"
    policy = load_policy(path)
    assert [s.name for s in policy.routing.signals.complexity] == [
        "code-complexity", "reasoning-complexity", "medical-complexity"]
    assert {s.threshold for s in policy.routing.signals.complexity} == {0.3}  # quoted in the CRD
    dropped = [f for f in policy.import_notes if f.severity is Severity.WARNING]
    assert [(f.path, f.line) for f in dropped] == [((0, "spec", "config", "reasoning_effort"),
                                                    _line(path, "reasoning_effort:"))]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_semanticrouter_round_trip_keeps_every_field(path, tmp_path):
    """Export as SemanticRouter writes back every deployment field, the router-global blocks and the endpoints;
    reading it again gives the same policy."""
    policy = load_policy(path)
    text, _ = export_text(policy, "k8s-semanticrouter")
    out = tmp_path / "sr.yaml"
    out.write_text(text)
    source_docs, docs = list(yaml.safe_load_all(path.read_text())), list(yaml.safe_load_all(text))
    assert [d["kind"] for d in docs] == [d["kind"] for d in source_docs]
    source, written = source_docs[0], docs[0]
    assert written["metadata"] == source["metadata"]
    own = ("config", "authoringConfig")  # the router config, written back in the canonical layout
    assert {k: v for k, v in written["spec"].items() if k not in own} == \
        {k: v for k, v in source["spec"].items() if k not in own}
    kept = {"api", "classifier", "embedding_models", "observability", "prompt_guard", "response_cache", "tools",
            "reasoning_families", "default_reasoning_effort"}
    assert {k: v for k, v in written["spec"]["config"].items() if k in kept} == \
        {k: v for k, v in (source["spec"].get("config") or {}).items() if k in kept}
    assert "providers" not in written["spec"]["config"]  # the CRD's own layout: models stay vllmEndpoints
    assert load_policy(out).to_spec() == policy.to_spec()


def test_semanticrouter_export_moves_a_changed_model_out_of_vllm_endpoints():
    changed = load_policy(OPERATOR / "vllm_v1alpha1_semanticrouter.yaml")
    changed.providers.models[1].backend_refs[0].endpoint = "vllm-qwen.default.svc.cluster.local:9000"
    text, notes = export_text(changed, "k8s-semanticrouter")
    doc = yaml.safe_load(text)
    assert [e["name"] for e in doc["spec"]["vllmEndpoints"]] == ["llama3-8b-endpoint"]
    assert [m["name"] for m in doc["spec"]["config"]["providers"]["models"]] == ["qwen2.5-7b"]
    assert {"k8s-rewritten", "k8s-not-in-crd"} <= {n.code for n in notes}
    assert loads_policy(text, "again.yaml").to_spec() == changed.to_spec()


def test_helm_values_config_is_imported_and_exported_back_into_the_values(tmp_path):
    path = HELM / "values.yaml"
    policy = load_policy(path)
    assert policy.dialect == "helm" and policy.model_names() == ["replace-with-your-model"]
    renamed = next(f for f in policy.import_notes if f.code == "renamed")
    assert (renamed.file, renamed.line) == (str(path), _line(path, "default_model:"))
    carried = {f.path[-1] for f in policy.import_notes if f.code == "helm-carried"}
    assert carried == set(yaml.safe_load(path.read_text())) - {"config"}
    text, _ = export_text(policy, "helm")
    values, source = yaml.safe_load(text), yaml.safe_load(path.read_text())
    assert {k: v for k, v in values.items() if k != "config"} == {k: v for k, v in source.items() if k != "config"}
    assert "# -- Number of replicas for the deployment" in text  # the user's comments stay
    assert loads_policy(text, "values.yaml").to_spec() == policy.to_spec()
    out = tmp_path / "values.yaml"
    done = CliRunner().invoke(main, ["export", str(path), "--format", "helm", "-o", str(out)])
    assert done.exit_code == 0 and out.read_text() == text, done.output


def test_helm_config_override_wins_as_in_the_chart():
    policy = load_policy(HELM / "model-runtime-values.yaml")
    assert policy.dialect == "helm"
    assert policy.recipes[0].name == "private"


def test_fragments_are_validated_as_fragments_and_refused_by_import_without_a_base(tmp_path):
    recipe = yaml.safe_load((SHARED / "recipes" / "accuracy" / "config.yaml").read_text())
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(yaml.safe_dump({"decisions": recipe["routing"]["decisions"]}, sort_keys=False))
    runner = CliRunner()
    done = runner.invoke(main, ["validate", str(decisions)])
    assert done.exit_code == 0 and "valid (fragment: decisions" in done.output, done.output
    out = tmp_path / "out.yaml"
    refused = runner.invoke(main, ["import", str(decisions), "-o", str(out)])
    assert refused.exit_code == 1 and not out.exists() and "--base" in refused.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(decisions.read_text().replace("operator: AND", "operator: XAND", 1))
    failed = runner.invoke(main, ["validate", str(broken)])
    line = _line(broken, "operator: XAND")
    assert failed.exit_code == 1 and f"{broken}:{line}:5: error: decision" in failed.output, failed.output


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs the router's files in ../shared/data/vllm-sr-upstream")
def test_fragment_merged_into_a_base_points_its_findings_into_the_fragment(tmp_path):
    base = SHARED / "recipes" / "accuracy" / "config.yaml"
    decision = yaml.safe_load(base.read_text())["routing"]["decisions"][1]
    first_model = decision["modelRefs"][0]["model"]
    decision = {**decision, "name": "new_route", "modelRefs": [{"model": "nope", "use_reasoning": False}]}
    fragment = tmp_path / "fragment.yaml"
    fragment.write_text(yaml.safe_dump({"decisions": [decision]}, sort_keys=False))
    done = CliRunner().invoke(main, ["validate", str(fragment), "--base", str(base)])
    assert done.exit_code == 1
    line = _line(fragment, "model: nope")
    assert f"{fragment}:{line}:" in done.output and "'nope', which is not declared" in done.output, done.output
    assert f"{fragment}:2:3: info: adds 'new_route'" in done.output
    out = tmp_path / "merged.yaml"
    good = tmp_path / "good.yaml"
    good.write_text(fragment.read_text().replace("model: nope", "model: " + first_model))
    merged = CliRunner().invoke(main, ["import", str(good), "--base", str(base), "-o", str(out)])
    assert merged.exit_code == 0, merged.output
    assert "new_route" in [d["name"] for d in yaml.safe_load(out.read_text())["routing"]["decisions"]]


def _compat():
    spec = importlib.util.spec_from_file_location("upstream_compat", ROOT / "scripts" / "upstream_compat.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not vllm_sr_check.available(), reason="vllm-sr==0.4.0 is a test dependency")
def test_vllm_sr_accepts_every_export_the_compat_table_lets_through(tmp_path):
    """Every full upstream config (shared recipes, operator samples, Helm values) that validates clean exports to a
    config vllm-sr 0.4.0 accepts; the rest are refused with a named reason. vllm-sr runs in-process (one import,
    then well under a second per file), so all files are checked, not a sample."""
    compat = _compat()
    files, skipped = compat.config_files([d for d in compat.DEFAULT_DIRS if d.exists()])
    assert len(files) >= len(SAMPLES) + 3 and all(why for _, why in skipped)
    rows = [compat.run_file(p, tmp_path) for p in files]
    assert all(r.opened for r in rows), [r.refused for r in rows if not r.opened]
    assert all(r.refused for r in rows if not r.accepted)
    # what the export gate lets through for the router, the router takes (a SemanticRouter model whose
    # endpoints the cluster resolves is a warning for the resource and an error for a vllm-sr export)
    assert [r.path for r in rows if r.clean and not r.accepted] == []
    assert any(not r.clean and "no-backend" in r.refused for r in rows)
    table = compat.table(rows, skipped)
    assert f"tried {len(rows)}, opened {len(rows)}" in table


PAIR = ROOT / "tests" / "fixtures" / "configs" / "k8s_pair.yaml"


def test_pair_reads_and_writes_the_crd_event_fields_and_keeps_the_source_metadata():
    """Route events use eventTypes/actionCodes (crds/vllm.ai_intelligentroutes.yaml) both ways; the export keeps
    each resource's whole metadata (namespace, labels), not only its name."""
    text = PAIR.read_text().replace(
        "metadata: {name: demo-pool}", "metadata: {name: demo-pool, namespace: llm, labels: {team: a}}").replace(
        "    contextRules:", "    events: [{name: outage, eventTypes: [incident], actionCodes: [page], "
        "severities: [critical], temporal: true}]\n    contextRules:")
    policy = loads_policy(text, "pair.yaml")
    event = policy.routing.find_signal("event", "outage")
    assert (event.event_types, event.action_codes) == (["incident"], ["page"])
    pool, route = yaml.safe_load_all(export_text(policy, "k8s")[0])
    assert pool["metadata"] == {"name": "demo-pool", "namespace": "llm", "labels": {"team": "a"}}
    assert route["metadata"] == {"name": "demo-route"}
    assert route["spec"]["signals"]["events"] == [
        {"name": "outage", "eventTypes": ["incident"], "actionCodes": ["page"], "severities": ["critical"],
         "temporal": True}]


def test_pair_refuses_signal_fields_the_crd_would_prune(tmp_path):
    """A Route domain has only name and description in the CRD: mmlu_categories would vanish in the cluster."""
    text = PAIR.read_text().replace("domains: [{name: math, description: Mathematics}]",
                                    "domains: [{name: math, description: Mathematics, mmlu_categories: [math]}]")
    with pytest.raises(PolicyError) as exc:
        export_text(loads_policy(text, "pair.yaml"), "k8s")
    assert "domains signal 'math' fields ['mmlu_categories'] have no place in the CRD's domains" in str(exc.value)


def test_cli_export_as_semanticrouter_keeps_the_source_resource(tmp_path):
    """Through the CLI too (it reads the file itself): deployment fields, endpoints and namespace come back."""
    source = OPERATOR / "vllm_v1alpha1_semanticrouter.yaml"
    out = tmp_path / "sr.yaml"
    done = CliRunner().invoke(main, ["export", str(source), "--format", "k8s-semanticrouter", "-o", str(out)])
    assert done.exit_code == 0, done.output
    written, original = yaml.safe_load(out.read_text()), yaml.safe_load(source.read_text())
    assert written["metadata"] == original["metadata"]
    assert {k: v for k, v in written["spec"].items() if k != "config"} == \
        {k: v for k, v in original["spec"].items() if k != "config"}


def test_helm_values_among_several_documents_are_found_and_the_others_named(tmp_path):
    path = tmp_path / "chart.yaml"
    values = (HELM / "values.yaml").read_text()
    path.write_text("apiVersion: v2\nname: semantic-router\n---\n" + values)
    policy = load_policy(path)
    assert policy.dialect == "helm" and policy.model_names() == ["replace-with-your-model"]
    other = [f for f in policy.import_notes if f.code == "helm-other-document"]
    assert [(f.path, f.line) for f in other] == [((0,), 1)]
    renamed = next(f for f in policy.import_notes if f.code == "renamed")
    assert renamed.line == _line(path, "default_model:")


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs the router's files in ../shared/data/vllm-sr-upstream")
@pytest.mark.parametrize("part", ["signals", "providers", "routing"])
def test_each_part_of_a_recipe_is_a_valid_fragment(part, tmp_path):
    recipe = yaml.safe_load((SHARED / "recipes" / "accuracy" / "config.yaml").read_text())
    body = {"signals": recipe["routing"]["signals"], "providers": {"providers": recipe["providers"]},
            "routing": {"routing": recipe["routing"]}}[part]
    path = tmp_path / f"{part}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    done = CliRunner().invoke(main, ["validate", str(path)])
    assert done.exit_code == 0 and f"valid (fragment: {part};" in done.output, done.output


ROUTED = """apiVersion: vllm.ai/v1alpha1
kind: SemanticRouter
metadata: {name: sr-routing, namespace: ai}
spec:
  replicas: 2
  vllmEndpoints:
    - {name: small-ep, model: small, reasoningFamily: qwen3,
       backend: {type: service, service: {name: vllm-small, port: 8000}}}
    - {name: big-ep, model: big, loras: [{name: math-lora}], backend: {type: kserve, inferenceServiceName: big}}
  config:
    strategy: priority
    default_reasoning_effort: low
    decisions:
      - name: stale
        rules: {operator: AND, conditions: []}
        modelRefs: [{model: small, use_reasoning: false}]
    routing:
      signals:
        keywords: [{name: urgent, operator: OR, keywords: [urgent]}]
      decisions:
        - name: urgent
          priority: 10
          rules: {operator: AND, conditions: [{type: keyword, name: urgent}]}
          modelRefs: [{model: big, use_reasoning: false, lora_name: math-lora}]
"""


def test_semanticrouter_config_routing_replaces_blocks_and_round_trips(tmp_path):
    """config.routing replaces the blocks it names (canonical_routing_overrides.go), so the flat decisions go; the
    endpoints' namespace is the resource's; the export keeps the CRD layout and reads back the same."""
    policy = loads_policy(ROUTED, "sr.yaml")
    assert [d.name for d in policy.routing.decisions] == ["urgent"]
    replaced = [f for f in policy.import_notes if f.severity is Severity.WARNING]
    assert [(f.path, f.line) for f in replaced] == [((0, "spec", "config", "routing", "decisions"), 20)]
    assert policy.routing.strategy == "priority" and policy.providers.defaults.reasoning_effort == "low"
    assert [r.endpoint for m in policy.providers.models for r in m.backend_refs] == [
        "big-predictor.ai.svc.cluster.local:8443", "vllm-small.ai.svc.cluster.local:8000"]
    assert [c.to_spec() for c in policy.routing.model_cards] == [{"name": "big", "loras": [{"name": "math-lora"}]},
                                                                 {"name": "small"}]
    text, _ = export_text(policy, "k8s-semanticrouter")
    config = yaml.safe_load(text)["spec"]["config"]
    assert set(config) == {"strategy", "default_reasoning_effort", "routing"}
    assert loads_policy(text, "again.yaml").to_spec() == policy.to_spec()
