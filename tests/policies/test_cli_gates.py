"""Gates: export and bundle refuse a policy with errors (validation or conflict analysis) unless
--allow-errors; import refuses what it reported an error on, and YAML that is not a router config."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policies.bundles import open_bundle
from policies.commands import main

from .conftest import OTHER_LAYOUTS, SAMPLES


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def unreachable(tmp_path: Path) -> Path:
    """The cost-optimised sample plus a copy of its first-ranked decision, ranked last and routed elsewhere:
    valid for the validator, an unreachable decision for the conflict analysis."""
    spec = yaml.safe_load((SAMPLES / "cost_optimised.yaml").read_text())
    decisions = spec["routing"]["decisions"]
    first = max(decisions, key=lambda d: d["priority"])
    copy_ = copy.deepcopy(first)
    copy_["name"] = "shadow_copy"
    copy_["priority"] = min(d["priority"] for d in decisions) - 1
    copy_["modelRefs"] = next(d["modelRefs"] for d in decisions if d["modelRefs"] != first["modelRefs"])
    decisions.append(copy_)
    path = tmp_path / "unreachable.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _located_error(output: str, path: Path) -> None:
    """The unreachable decision is reported as ``file:line:col: error:`` at the decision's own line."""
    line = path.read_text().splitlines().index("  - name: shadow_copy") + 1
    assert re.search(rf"^{re.escape(str(path))}:{line}:\d+: error: decision 'shadow_copy' is unreachable",
                     output, re.M), output


def test_check_reports_the_fixture_as_an_error(unreachable: Path) -> None:
    assert run("validate", str(unreachable)).exit_code == 0
    assert run("check", str(unreachable), "--no-repairs").exit_code == 1


@pytest.mark.parametrize("fmt", ["vllm-sr", "k8s-semanticrouter"])
def test_export_refuses_a_conflict_error_unless_allowed(unreachable: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out.yaml"
    refused = run("export", str(unreachable), "--format", fmt, "-o", str(out))
    assert refused.exit_code == 1 and not out.exists()
    _located_error(refused.output, unreachable)
    assert "export refused: 1 error, nothing written" in refused.output
    allowed = run("export", str(unreachable), "--format", fmt, "-o", str(out), "--allow-errors")
    assert allowed.exit_code == 0 and out.exists()
    _located_error(allowed.output, unreachable)
    assert "export despite 1 error (--allow-errors)" in allowed.output
    assert "shadow_copy" in out.read_text()


def test_bundle_build_refuses_errors_unless_allowed(unreachable: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.tar.gz"
    refused = run("bundle", "build", str(unreachable), "-o", str(out), "--created-at", "2026-01-01T00:00:00+00:00")
    assert refused.exit_code == 1 and not out.exists()
    _located_error(refused.output, unreachable)
    assert "bundle refused: 1 error" in refused.output
    allowed = run("bundle", "build", str(unreachable), "-o", str(out), "--allow-errors",
                  "--created-at", "2026-01-01T00:00:00+00:00")
    assert allowed.exit_code == 0 and "bundle despite 1 error" in allowed.output
    files, _ = open_bundle(out.read_bytes())
    assert "shadow_copy" in files["config.yaml"].decode()


def test_bundle_build_refuses_validation_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((SAMPLES / "cost_optimised.yaml").read_text().replace(
        "model: deepseek-r1, use_reasoning: true", "model: nope, use_reasoning: true"))
    out = tmp_path / "b.tar.gz"
    refused = run("bundle", "build", str(bad), "-o", str(out))
    assert refused.exit_code == 1 and not out.exists()
    assert re.search(rf"^{re.escape(str(bad))}:\d+:\d+: error: .*nope", refused.output, re.M), refused.output


def test_a_clean_policy_passes_the_gates_silently(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    result = run("export", str(SAMPLES / "cost_optimised.yaml"), "-o", str(out))
    assert result.exit_code == 0 and out.exists() and "error" not in result.output


def test_import_with_an_error_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "dup.yaml"
    src.write_text("providers:\n  models: []\nproviders:\n  models: []\nrouting: {}\n")
    out = tmp_path / "out.yaml"
    result = run("import", str(src), "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert f"{src}:3:1: error: key 'providers' appears twice" in result.output
    assert f"{src}: not imported: 1 error, nothing written" in result.output


@pytest.mark.parametrize("text", ["name: my-service\nreplicas: 3\n", "version: v0.3\n",
                                  "- keywords: [a]\n", "services:\n  web: {image: nginx}\n"])
def test_import_refuses_yaml_that_is_not_a_router_config(tmp_path: Path, text: str) -> None:
    src = tmp_path / "other.yaml"
    src.write_text(text)
    out = tmp_path / "out.yaml"
    result = run("import", str(src), "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert f"{src}: error: not a router config" in result.output


@pytest.mark.parametrize("layout", sorted(OTHER_LAYOUTS))
def test_import_still_takes_every_router_layout(tmp_path: Path, layout: str) -> None:
    out = tmp_path / "out.yaml"
    result = run("import", str(OTHER_LAYOUTS[layout]), "-o", str(out))
    assert result.exit_code == 0 and out.exists(), result.output
