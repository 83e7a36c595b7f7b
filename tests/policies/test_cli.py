"""The routing-studio command line: exit codes, output forms, import and export."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from policies.commands import main
from policies.validation import validate_policy
from policies.loader import load_policy

from .conftest import CANONICAL_FILES, OTHER_LAYOUTS

SAMPLE = str(CANONICAL_FILES[0])


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_validate_exit_codes(tmp_path):
    assert run("validate", SAMPLE).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(SAMPLE).read().replace("priority: 300", "priority: 300\n      prio: 1", 1))
    result = run("validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and ": error: unknown decision field 'prio'" in result.output
    assert run("validate").exit_code == 2
    assert run("validate", "--bogus", SAMPLE).exit_code == 2


def test_validate_json_output_is_machine_readable(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("routing: [\n")
    result = run("validate", "--json", SAMPLE, str(broken))
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["valid"] is False
    ok, bad = data["files"]
    assert ok["valid"] and ok["dialect"] == "canonical"
    assert not bad["valid"] and bad["findings"][0]["code"] == "yaml-syntax" and bad["findings"][0]["line"] == 2


def test_import_writes_a_valid_canonical_config(tmp_path):
    out = tmp_path / "imported.yaml"
    result = run("import", str(OTHER_LAYOUTS["legacy"]), "-o", str(out))
    assert result.exit_code == 0, result.output
    policy = load_policy(out)
    assert policy.dialect == "canonical"
    assert not [f for f in validate_policy(policy) if f.severity.value == "error"]


def test_export_k8s_refuses_with_named_reasons_and_writes_nothing(tmp_path):
    out = tmp_path / "k8s.yaml"
    result = run("export", str(CANONICAL_FILES[0]), "--format", "k8s", "-o", str(out))
    assert result.exit_code == 1
    assert "the CRD takes exactly one" in result.output or "CRD" in result.output
    assert not out.exists()


def test_export_pair_and_semanticrouter(tmp_path):
    pair = tmp_path / "pair.yaml"
    assert run("export", str(OTHER_LAYOUTS["kubernetes"]), "--format", "k8s", "-o", str(pair)).exit_code == 0
    assert [d["kind"] for d in yaml.safe_load_all(pair.read_text())] == ["IntelligentPool", "IntelligentRoute"]
    wrapped = tmp_path / "sr.yaml"
    assert run("export", SAMPLE, "--format", "k8s-semanticrouter", "-o", str(wrapped)).exit_code == 0
    assert yaml.safe_load(wrapped.read_text())["kind"] == "SemanticRouter"


def test_export_refuses_a_policy_with_errors_unless_forced(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(SAMPLE).read().replace("model: deepseek-r1, use_reasoning: true", "model: nope, use_reasoning: true"))
    out = tmp_path / "out.yaml"
    assert run("export", str(bad), "-o", str(out)).exit_code == 1 and not out.exists()
    assert run("export", str(bad), "-o", str(out), "--force").exit_code == 0 and out.exists()
