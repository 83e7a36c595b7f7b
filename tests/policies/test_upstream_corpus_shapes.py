"""Layouts found in the router's repository that the engine read wrongly (issue #13, the 145-file corpus).

One test per shape, each a minimal hand-written input in the shape of the named upstream file; the
upstream files themselves are not committed. `scripts/upstream_compat.py DIR` runs the whole corpus.
"""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from policies import vllm_sr_check
from policies.commands import main
from policies.errors import PolicyError, Severity
from policies.export import write_export
from policies.loader import load_policy
from policies.validation import validate_policy

needs_vllm_sr = pytest.mark.skipif(not vllm_sr_check.available(), reason="vllm-sr==0.4.0 is a test dependency")

# deploy/kserve/configmap-router-config.yaml: a ConfigMap whose data.config.yaml is the router config, here in
# the repository layout (providers.defaults.default_model, reasoning_family) that vllm-sr 0.4.0 no longer takes.
CONFIGMAP = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: semantic-router-kserve-config
    data:
      config.yaml: |
        version: v0.3
        listeners: []
        providers:
          defaults:
            default_model: granite
          models:
            - name: granite
              reasoning_family: qwen3
              backend_refs:
                - name: predictor
                  endpoint: 10.0.0.7:8000
                  weight: 1
        routing:
          modelCards:
            - name: granite
          signals:
            keywords:
              - name: code
                operator: OR
                keywords: [code]
          decisions:
            - name: code_route
              description: Code requests
              priority: 100
              rules:
                operator: AND
                conditions:
                  - type: keyword
                    name: code
              modelRefs:
                - model: granite
                  use_reasoning: false
      tools_db.json: "[]"
    """)

# src/vllm-sr/config.yaml and cli/templates/config.template.yaml: vllm-sr's own v0.1 user layout.
V01 = textwrap.dedent("""\
    version: v0.1
    listeners:
      - name: http-8888
        address: 0.0.0.0
        port: 8888
        timeout: 300s
    signals:
      keywords:
        - name: math_keywords
          operator: OR
          keywords: [calculate, equation]
    decisions:
      - name: math_route
        description: Math requests
        priority: 100
        rules:
          operator: OR
          conditions:
            - type: keyword
              name: math_keywords
        modelRefs:
          - model: qwen3-8b
            use_reasoning: true
    providers:
      models:
        - name: qwen3-8b
          reasoning_family: qwen3
          param_size: 8b
          endpoints:
            - name: vllm_endpoint
              weight: 1
              endpoint: host.docker.internal:8000
              protocol: http
          access_key: sk-not-a-real-key
      default_model: qwen3-8b
      default_reasoning_effort: low
    """)


def test_configmap_holding_config_yaml_opens_as_its_inner_layout(tmp_path):
    path = tmp_path / "configmap.yaml"
    path.write_text(CONFIGMAP)
    policy = load_policy(path)
    assert policy.dialect == "configmap"
    assert policy.providers.defaults.model == "granite"
    assert [r.endpoint for r in policy.providers.models[0].backend_refs] == ["10.0.0.7:8000"]
    assert policy.routing.decisions[0].name == "code_route"
    notes = {n.code: n for n in policy.import_notes}
    # the other data key is named, not dropped without a word; a renamed key is located in the ConfigMap
    assert "tools_db.json" in notes["configmap-other-key"].message
    assert notes["renamed"].line == CONFIGMAP.splitlines().index("  config.yaml: |") + 1
    assert not [f for f in validate_policy(policy) if f.severity is Severity.ERROR]


@needs_vllm_sr
def test_configmap_config_exports_to_what_vllm_sr_accepts(tmp_path):
    path, out = tmp_path / "configmap.yaml", tmp_path / "out.yaml"
    path.write_text(CONFIGMAP)
    write_export(load_policy(path), out, "vllm-sr")
    assert vllm_sr_check.vllm_sr_errors(out) == []


def test_configmap_without_a_router_config_is_not_a_config(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  config.yaml: |\n    a: 1\n")
    done = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "out.yaml")])
    assert done.exit_code == 1 and "not a router config" in done.output
    assert not (tmp_path / "out.yaml").exists()


def test_semantic_route_resource_is_refused_by_kind(tmp_path):
    # examples/semanticroute/*.yaml: the older SemanticRoute CRD, which holds no router config; it used to be
    # read as an empty canonical config.
    path = tmp_path / "route.yaml"
    path.write_text("apiVersion: vllm.ai/v1alpha1\nkind: SemanticRoute\nmetadata: {name: r}\nspec:\n  rules:\n"
                    "  - intents: [{category: math, threshold: 0.7}]\n    modelRefs: [{modelName: m, port: 80}]\n")
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert exc.value.findings[0].code == "k8s-kind" and "SemanticRoute" in str(exc.value)
    assert "route.yaml:2:" in str(exc.value)
    done = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "out.yaml")])
    assert done.exit_code == 1 and "SemanticRoute" in done.output and not (tmp_path / "out.yaml").exists()


def test_vllm_sr_v01_layout_keeps_its_signals_endpoints_and_defaults(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(V01)
    policy = load_policy(path)
    assert policy.dialect == "repository"
    assert policy.version == "v0.3"
    assert [s.name for s in policy.routing.signals.keywords] == ["math_keywords"]
    model = policy.providers.models[0]
    assert [(r.name, r.endpoint, r.protocol) for r in model.backend_refs] == [
        ("vllm_endpoint", "host.docker.internal:8000", "http")]
    assert policy.providers.defaults.model == "qwen3-8b"
    assert policy.providers.defaults.reasoning_effort == "low"
    assert policy.routing.model_cards[0].param_size == "8b"
    warned = [n for n in policy.import_notes if n.severity is Severity.WARNING]
    assert [n.code for n in warned] == ["not-carried"] and "access_key" in warned[0].message
    assert warned[0].line == V01.splitlines().index("      access_key: sk-not-a-real-key") + 1
    assert not [f for f in validate_policy(policy) if f.severity is Severity.ERROR]


@needs_vllm_sr
def test_vllm_sr_v01_layout_exports_to_what_vllm_sr_accepts(tmp_path):
    path, out = tmp_path / "config.yaml", tmp_path / "out.yaml"
    path.write_text(V01)
    assert vllm_sr_check.vllm_sr_errors(path)  # vllm-sr 0.4.0 refuses the v0.1 layout as written
    write_export(load_policy(path), out, "vllm-sr")
    assert vllm_sr_check.vllm_sr_errors(out) == []
    assert "sk-not-a-real-key" not in out.read_text()


# deploy/operator/config/samples/vllm.ai_v1alpha1_semanticrouter_authoring.yaml: the router config in
# spec.authoringConfig (vllm-sr's v0.1 authoring layout); it used to be reported as an unknown spec field and the
# resource imported with no model.
AUTHORING = "apiVersion: vllm.ai/v1alpha1\nkind: SemanticRouter\nmetadata: {name: sr}\nspec:\n  replicas: 1\n" \
    "  authoringConfig:\n" + textwrap.indent(V01, "    ") + "  config:\n    api: {batch_classification: {}}\n"

# ..._semanticrouter_file.yaml: spec.bootstrap.configMapRef names a ConfigMap in the same file.
BOOTSTRAP = CONFIGMAP.replace("  name: semantic-router-kserve-config", "  name: router-v1") + textwrap.dedent("""\
    ---
    apiVersion: vllm.ai/v1alpha1
    kind: SemanticRouter
    metadata:
      name: sr
    spec:
      bootstrap:
        configMapRef: {name: router-v1, key: config.yaml}
      replicas: 1
    """)


def test_semantic_router_authoring_config_is_the_router_config(tmp_path):
    path = tmp_path / "sr.yaml"
    path.write_text(AUTHORING)
    policy = load_policy(path)
    assert [m.name for m in policy.providers.models] == ["qwen3-8b"]
    assert [d.name for d in policy.routing.decisions] == ["math_route"]
    codes = {n.code for n in policy.import_notes}
    assert "k8s-carried" in codes  # replicas, spec.config.api: named, kept for the resource
    assert not [n for n in policy.import_notes if "authoringConfig" in n.message]
    assert not [f for f in validate_policy(policy) if f.severity is Severity.ERROR]


def test_semantic_router_bootstrap_config_map_in_the_same_file(tmp_path):
    path = tmp_path / "sr.yaml"
    path.write_text(BOOTSTRAP)
    policy = load_policy(path)
    assert [m.name for m in policy.providers.models] == ["granite"]
    assert not [n for n in policy.import_notes if n.code == "k8s-other-document"]  # the ConfigMap is what it read
    assert not [f for f in validate_policy(policy) if f.severity is Severity.ERROR]


def test_semantic_router_bootstrap_config_map_elsewhere_is_a_located_error(tmp_path):
    path = tmp_path / "sr.yaml"
    text = BOOTSTRAP.split("---\n", 1)[1]
    path.write_text(text)
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert exc.value.findings[0].code == "k8s-structure" and "router-v1" in str(exc.value)
    assert f"sr.yaml:{text.splitlines().index('  bootstrap:') + 2}:" in str(exc.value)


@pytest.mark.parametrize("text", [AUTHORING, BOOTSTRAP], ids=["authoringConfig", "bootstrap"])
def test_semantic_router_export_writes_the_config_back_where_it_was_read(text, tmp_path):
    import yaml

    from policies.export import export_text

    path, out = tmp_path / "sr.yaml", tmp_path / "out.yaml"
    path.write_text(text)
    policy = load_policy(path)
    written, _ = export_text(policy, "k8s-semanticrouter")
    out.write_text(written)
    docs = list(yaml.safe_load_all(written))
    assert [d["kind"] for d in docs] == [d["kind"] for d in yaml.safe_load_all(text)]
    router = next(d for d in docs if d["kind"] == "SemanticRouter")
    assert "providers" not in (router["spec"].get("config") or {})  # the config stays in its own place
    assert load_policy(out).to_spec() == policy.to_spec()


def _canonical(base_spec_text: str, tmp_path, old: str, new: str):
    assert old in base_spec_text
    path = tmp_path / "config.yaml"
    path.write_text(base_spec_text.replace(old, new, 1))
    return path, [f for f in validate_policy(load_policy(path)) if f.severity is Severity.ERROR]


@needs_vllm_sr
def test_virtual_catalog_model_needs_no_backend(base_spec_text, tmp_path):
    # config/config.yaml: "Catalog-backed models do not need a handwritten routing.modelCards entry".
    path, errors = _canonical(base_spec_text, tmp_path, "  models:\n",
                              "  models:\n    - name: built-in-catalog-example\n      catalog: vllm-sr/mom-v1-lite\n")
    assert errors == [] and vllm_sr_check.vllm_sr_errors(path) == []
    path, errors = _canonical(base_spec_text, tmp_path, "  models:\n", "  models:\n    - name: bare-physical\n")
    assert [f.code for f in errors] == ["no-backend"] and vllm_sr_check.vllm_sr_errors(path)


@needs_vllm_sr
def test_backendless_model_is_allowed_without_router_owned_listeners(base_spec_text, tmp_path):
    # e2e/profiles/*/values.yaml: listeners: [] (an external gateway owns transport)
    text = base_spec_text.replace("listeners: [{name: http-8899, address: 0.0.0.0, port: 8899, timeout: 300s}]",
                                  "listeners: []", 1)
    path, errors = _canonical(text, tmp_path, "  models:\n",
                              "  models:\n    - name: bare-physical\n      provider_model_id: bare\n")
    assert errors == [] and vllm_sr_check.vllm_sr_errors(path) == []
    path, errors = _canonical(text, tmp_path, "  models:\n", "  models:\n    - name: bare-physical\n")
    assert [f.code for f in errors] == ["no-backend"] and vllm_sr_check.vllm_sr_errors(path)  # says nothing of itself


@needs_vllm_sr
def test_classifier_label_with_a_bound_operating_point_needs_no_predicate(base_spec_text, tmp_path):
    # config/config.yaml: routing.model_bindings binds classifier.content-risk (label_scores.v1, operating_point)
    # and content_privacy_route uses a bare label.
    bare = "{type: classifier, name: intent, label: billing}"
    text = base_spec_text.replace("{type: classifier, name: intent, label: billing, predicate: {gte: 0.6}}", bare, 1)
    assert "\nglobal:" not in text
    text += "global:\n  model_catalog:\n    deployments:\n      intent-model:\n        artifact: models/intent\n" \
        "        provider: candle\n        input: {max_tokens: 512, overflow: reject}\n"
    path, errors = _canonical(text, tmp_path, "routing:\n  strategy: priority\n", "routing:\n  strategy: priority\n"
                              "  model_bindings:\n    classifier.intent:\n      deployment: intent-model\n"
                              "      contract: label_scores.v1\n      adapter: modernbert\n"
                              "      operating_point: {path: op.json, sha256: '" + "0" * 64 + "'}\n")
    assert errors == [] and vllm_sr_check.vllm_sr_errors(path) == []
    path, errors = _canonical(text, tmp_path, "routing:\n", "routing:\n")
    assert [f.code for f in errors] == ["classifier-predicate"] and vllm_sr_check.vllm_sr_errors(path)


# deploy/kubernetes/aibrix/semantic-router-values/values.yaml: legacy layout under config:, LoRA adapters in
# model_config, per-decision pii plugins without a threshold and a global classifier.pii_model.threshold.
LEGACY_HELM = textwrap.dedent("""\
    config:
      vllm_endpoints:
        - {name: ep, address: 127.0.0.1, port: 8000, weight: 1}
      model_config:
        base:
          reasoning_family: qwen3
          loras:
            - {name: math-expert, description: Math adapter}
      categories:
        - name: math
      decisions:
        - name: math_decision
          description: Math
          priority: 10
          rules: {operator: OR, conditions: [{type: domain, name: math}]}
          modelRefs: [{model: base, use_reasoning: true}]
          plugins:
            - type: pii
              configuration: {enabled: true, pii_types_allowed: []}
      default_model: base
      classifier:
        pii_model: {model_id: models/pii, threshold: 0.7}
    """)


def test_legacy_model_config_loras_go_to_the_model_card(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text(LEGACY_HELM)
    policy = load_policy(path)
    card = next(c for c in policy.routing.model_cards if c.name == "base")
    assert [lora["name"] for lora in card.loras] == ["math-expert"]
    assert not [n for n in policy.import_notes if "loras" in n.message and n.code == "not-carried"]


def test_legacy_pii_plugin_without_threshold_takes_the_global_one(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text(LEGACY_HELM)
    policy = load_policy(path)
    assert policy.routing.find_signal("pii", "math_decision_pii").threshold == 0.7
    assert any(n.code == "filled" and "classifier.pii_model.threshold" in n.message for n in policy.import_notes)
    assert not [f for f in validate_policy(policy) if f.severity is Severity.ERROR]


@needs_vllm_sr
def test_model_ref_without_use_reasoning_is_read_as_false_not_refused(base_spec_text, tmp_path):
    # config/config.yaml multi_factor_route: modelRefs without use_reasoning (the router's canonical loader fills
    # false, canonical_config.go ensureModelRefDefaults).
    old = "modelRefs: [{model: small, use_reasoning: false}]"
    path, errors = _canonical(base_spec_text, tmp_path, old, "modelRefs: [{model: small}]")
    assert errors == []
    warned = [f for f in validate_policy(load_policy(path)) if f.code == "missing-use-reasoning"]
    assert [f.severity for f in warned] == [Severity.WARNING] and "as false" in warned[0].message
    out = tmp_path / "out.yaml"
    write_export(load_policy(path), out, "vllm-sr")
    assert vllm_sr_check.vllm_sr_errors(out) == []
