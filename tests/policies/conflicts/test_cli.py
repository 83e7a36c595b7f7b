"""routing-studio check: exit 1 on error findings (CI gate), 0 otherwise, 2 on usage errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from policies.commands import main

from .conftest import FIXTURES, SAMPLES


def test_error_finding_fails_the_gate() -> None:
    result = CliRunner().invoke(main, ["check", str(FIXTURES / "shadowed_pair.yaml")])
    assert result.exit_code == 1
    assert result.output.startswith("ERRORS (1)") and "shadowed" in result.output


def test_warnings_only_pass_and_show_witnesses() -> None:
    result = CliRunner().invoke(main, ["check", str(SAMPLES / "safety_first.yaml")])
    assert result.exit_code == 0
    assert "WARNINGS (7)" in result.output and "witness:" in result.output


def test_json_output() -> None:
    result = CliRunner().invoke(main, ["check", "--json", str(FIXTURES / "priority_tie.yaml")])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["errors"] is False
    (finding,) = data["findings"]
    assert finding["kind"] == "priority-tie" and finding["witness_synthetic"]["request"]["text"] == "python"


def test_invariants_file(tmp_path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("- name: guarded\n  then: {has_plugin: fast_response}\n")
    result = CliRunner().invoke(main, ["check", "--invariants", str(inv), str(FIXTURES / "coverage_gap.yaml")])
    assert result.exit_code == 1 and "invariant-violated" in result.output


def test_usage_errors_exit_2(tmp_path) -> None:
    assert CliRunner().invoke(main, ["check", str(tmp_path / "missing.yaml")]).exit_code == 2
    assert CliRunner().invoke(main, ["check"]).exit_code == 2
