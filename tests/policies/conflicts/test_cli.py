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


def _log_line(request_id: str, text: str, prompt_tokens: int) -> str:
    # "auto": the router routes the request (naming a configured model such as m-a would pass it through)
    return json.dumps({"request": {"model": "auto", "messages": [{"role": "user", "content": text}]},
                       "response": {"id": request_id, "model": "m-a",
                                    "choices": [{"message": {"role": "assistant", "content": "ok"}}],
                                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 5}}})


def test_raw_traffic_log_is_simulated_and_weighs_findings(tmp_path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join([_log_line("r1", "a python question", 9000), _log_line("r2", "hello", 3),
                              _log_line("r3", "python", 10), _log_line("r4", "long read", 12000)]) + "\n")
    result = CliRunner().invoke(main, ["check", "--json", "--no-repairs", "--traffic", str(log),
                                       str(FIXTURES / "priority_tie.yaml")])
    (finding,) = json.loads(result.output)["findings"]
    assert result.exit_code == 0 and finding["kind"] == "priority-tie"
    assert (finding["count"], finding["share"], finding["witnesses_real"]) == (1, 0.25, ["r1"])
    assert finding["repairs"] == []


def test_repairs_are_shown_unless_skipped() -> None:
    path = str(FIXTURES / "priority_tie.yaml")
    shown = CliRunner().invoke(main, ["check", path]).output
    assert "repair (reorder): raise 'zz_code' to priority 101" in shown and "[proved local" in shown
    assert "repair (" not in CliRunner().invoke(main, ["check", "--no-repairs", path]).output
    (finding,) = json.loads(CliRunner().invoke(main, ["check", "--json", path]).output)["findings"]
    assert {r["kind"] for r in finding["repairs"]} == {"reorder", "guard"}
    assert all(r["diff"].startswith("--- policy.yaml") and r["locality"]["local"] for r in finding["repairs"])
