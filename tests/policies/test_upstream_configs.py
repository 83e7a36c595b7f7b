"""Configs as the router writes them open without loss (issue #13): one test per upstream shape we got wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policies import vllm_sr_check
from policies.errors import PolicyError, Severity
from policies.commands import main
from policies.export import export_text, render_export, write_export
from policies.export_gate import blocking_errors
from policies.loader import load_policy
from policies.validation import validate_policy

from .conftest import CONFIGS, ROOT

UPSTREAM = ROOT.parent / "shared" / "data" / "vllm-sr-upstream"
needs_vllm_sr = pytest.mark.skipif(not vllm_sr_check.available(), reason="vllm-sr==0.4.0 is a test dependency")


def _with_event_signal(base_spec_text: str, temporal: str) -> str:
    """The base config plus an event signal shaped like the router's reference ``config/config.yaml``."""
    block = ("  signals:\n    events:\n      - name: urgent_incident\n        event_types: [incident]\n"
             f"        severities: [critical]\n        temporal: {temporal}\n")
    return base_spec_text.replace("  signals:\n", block, 1)


def test_event_signal_temporal_is_a_flag(base_spec_text, tmp_path):
    path = tmp_path / "events.yaml"
    path.write_text(_with_event_signal(base_spec_text, "true"))
    policy = load_policy(path)
    assert policy.routing.find_signal("event", "urgent_incident").temporal is True
    assert not [f for f in validate_policy(policy) if f.severity is Severity.ERROR]


def test_event_signal_temporal_mapping_is_a_located_error(base_spec_text, tmp_path):
    path = tmp_path / "events.yaml"
    text = _with_event_signal(base_spec_text, "{window: 5m}")
    path.write_text(text)
    line = text.splitlines().index("        temporal: {window: 5m}") + 1
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert f"events.yaml:{line}:" in str(exc.value) and "temporal" in str(exc.value)


@needs_vllm_sr
def test_event_signal_temporal_exports_to_what_vllm_sr_accepts(base_spec_text, tmp_path):
    path, out = tmp_path / "events.yaml", tmp_path / "out.yaml"
    path.write_text(_with_event_signal(base_spec_text, "true"))
    assert vllm_sr_check.vllm_sr_errors(path) == []
    write_export(load_policy(path), out, "vllm-sr")
    assert "temporal: true" in out.read_text()
    assert vllm_sr_check.vllm_sr_errors(out) == []


def _lora_default(base_spec_text: str, default: str) -> str:
    """The base config with a LoRA adapter on the 'large' card and ``default`` as the default model."""
    text = base_spec_text.replace("defaults: {model: small}", f"defaults: {{model: {default}}}", 1)
    return text.replace("capabilities: [chat, reasoning]}",
                        "capabilities: [chat, reasoning], loras: [{name: general-expert}]}", 1)


def _errors(path: Path) -> list[str]:
    return [f.message for f in validate_policy(load_policy(path)) if f.severity is Severity.ERROR]


@pytest.mark.parametrize("default, accepted", [("general-expert", True), ("general-expret", False)])
def test_default_model_may_be_a_lora_adapter_of_a_model_card(base_spec_text, tmp_path, default, accepted):
    path = tmp_path / "lora.yaml"
    path.write_text(_lora_default(base_spec_text, default))
    errors = [e for e in _errors(path) if "default model" in e]
    assert (errors == []) is accepted, errors
    if vllm_sr_check.available():
        assert (vllm_sr_check.vllm_sr_errors(path) == []) is accepted
        if accepted:
            write_export(load_policy(path), tmp_path / "out.yaml", "vllm-sr")
            assert vllm_sr_check.vllm_sr_errors(tmp_path / "out.yaml") == []


def _crd_model_fields() -> set[str]:
    crd = yaml.safe_load((UPSTREAM / "crds" / "vllm.ai_intelligentpools.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return set(spec["properties"]["models"]["items"]["properties"])


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs the router's files in ../shared/data/vllm-sr-upstream")
def test_k8s_pool_uses_the_crd_fields_and_the_source_names(tmp_path):
    out = tmp_path / "some-output-file.yaml"
    write_export(load_policy(CONFIGS / "k8s_pair.yaml"), out, "k8s")
    pool, route = yaml.safe_load_all(out.read_text())
    assert all(set(m) <= _crd_model_fields() for m in pool["spec"]["models"])
    assert [m.get("reasoningFamily") for m in pool["spec"]["models"]] == ["qwen3", "qwen3"]
    assert (pool["metadata"]["name"], route["metadata"]["name"]) == ("demo-pool", "demo-route")


def test_k8s_pair_refuses_inline_reasoning_by_name(tmp_path):
    path = tmp_path / "inline.yaml"
    path.write_text((CONFIGS / "k8s_pair.yaml").read_text().replace(
        "reasoning: {family: qwen3}", "reasoning: {type: chat_template_kwargs, parameter: enable_thinking}"))
    with pytest.raises(PolicyError) as exc:
        export_text(load_policy(path), "k8s")
    assert "model 'qwen3-32b' has inline reasoning" in str(exc.value)


def test_model_without_backend_refs_blocks_vllm_sr_but_not_the_k8s_pool(tmp_path):
    canonical = tmp_path / "canonical.yaml"  # the pair as a canonical config: its models have no backend_refs
    canonical.write_text(export_text(load_policy(CONFIGS / "k8s_pair.yaml"), "vllm-sr")[0])
    policy = load_policy(canonical)
    assert "no-backend" in {f.code for f in validate_policy(policy) if f.severity is Severity.ERROR}
    with pytest.raises(PolicyError, match="has no backend_refs"):
        render_export(policy, "vllm-sr")
    text, _ = render_export(policy, "k8s", name="canonical")
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(text)] == ["canonical-pool", "canonical-route"]
    # The export gate (CLI and studio) weighs the same errors per target.
    assert "no-backend" in {f.code for f in blocking_errors(policy, "vllm-sr")}
    assert "no-backend" not in {f.code for f in blocking_errors(policy, "k8s")}
    out = tmp_path / "pair.yaml"
    done = CliRunner().invoke(main, ["export", str(canonical), "--format", "k8s", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert [d["kind"] for d in yaml.safe_load_all(out.read_text())] == ["IntelligentPool", "IntelligentRoute"]


def _signals_at_top_level(text: str) -> str:
    """An upstream recipe with ``routing.signals`` written at the top level, the pre-0.4 place."""
    doc = yaml.safe_load(text)
    doc["signals"] = doc["routing"].pop("signals")
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs the router's files in ../shared/data/vllm-sr-upstream")
def test_top_level_signals_move_to_routing_with_a_located_note(tmp_path):
    recipe = UPSTREAM / "recipes" / "accuracy" / "config.yaml"
    path = tmp_path / "legacy-signals.yaml"
    text = _signals_at_top_level(recipe.read_text())
    path.write_text(text)
    policy = load_policy(path)
    assert policy.routing.to_spec() == load_policy(recipe).routing.to_spec()
    moved = [f for f in policy.import_notes if f.code == "moved"]
    assert [(f.severity, f.path, f.line) for f in moved] == [
        (Severity.INFO, ("signals",), text.splitlines().index("signals:") + 1)]
    if vllm_sr_check.available():
        write_export(policy, tmp_path / "out.yaml", "vllm-sr")
        assert vllm_sr_check.vllm_sr_errors(tmp_path / "out.yaml") == []


def test_top_level_signals_beside_routing_signals_are_reported_not_dropped(base_spec_text, tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(base_spec_text + "signals:\n  keywords: [{name: stray, operator: OR, keywords: [x]}]\n")
    notes = [f for f in load_policy(path).import_notes if f.code == "not-carried"]
    assert [(f.severity, f.path) for f in notes] == [(Severity.WARNING, ("signals",))]


def test_image_gen_plugin_is_an_error_in_validate_as_in_import_and_vllm_sr(tmp_path):
    path = tmp_path / "image-gen.yaml"
    path.write_text((CONFIGS / "all_plugins.yaml").read_text().replace(
        "    plugins:\n    - type: system_prompt\n",
        "    plugins:\n    - type: image_gen\n      configuration: {enabled: true}\n    - type: system_prompt\n", 1))
    policy = load_policy(path)
    assert "plugin-not-exportable" in {f.code for f in validate_policy(policy) if f.severity is Severity.ERROR}
    with pytest.raises(PolicyError, match="image_gen"):
        export_text(policy, "vllm-sr")
    if vllm_sr_check.available():
        assert any("image_gen" in e for e in vllm_sr_check.vllm_sr_errors(path))


FIRST_BACKEND = "backend_refs: [{name: b-small, provider: vllm, endpoint: 127.0.0.1:8000, protocol: http, weight: 100}]"
SECOND_BACKENDS = {  # second backend_ref of the same model -> what differs from the first (vllm-sr's words)
    "{endpoint: 127.0.0.1:8002, protocol: http}": "",
    "{base_url: 'http://127.0.0.1:8002'}": "",
    "{endpoint: 127.0.0.1:8002, api_key_env: OTHER_KEY}": "credential source",
    "{endpoint: 'localhost:8002'}": "DNS/IP discovery",
    "{endpoint: 127.0.0.1:8002/v2}": "base path",
    "{endpoint: 127.0.0.1:8002, extra_headers: {X-Tenant: b}}": "extra headers",
    "{base_url: 'https://gpu.example.com/v1'}": "URL scheme, DNS/IP discovery, base path, TLS server name",
}


@pytest.mark.parametrize("second, differing", SECOND_BACKENDS.items())
def test_backend_refs_of_one_model_must_fit_one_envoy_cluster(base_spec_text, tmp_path, second, differing):
    assert FIRST_BACKEND in base_spec_text
    path = tmp_path / "backends.yaml"
    second = second.replace("{", "{name: b-second, provider: vllm, weight: 50, ", 1)
    path.write_text(base_spec_text.replace(FIRST_BACKEND, f"{FIRST_BACKEND[:-1]}, {second}]"))
    ours = [f for f in validate_policy(load_policy(path)) if f.code == "backend-cluster"]
    expected = [f"backend_refs[1] cannot share one Envoy cluster with backend_refs[0]: {differing} differ"]
    assert [f.message.split(": ", 1)[1] for f in ours] == (expected if differing else [])
    assert all(f.severity is Severity.ERROR and f.line for f in ours)
    if vllm_sr_check.available():
        theirs = vllm_sr_check.vllm_sr_errors(path)
        assert [e.split(". Split")[0].split("].", 1)[1] for e in theirs] == (expected if differing else [])
