"""routing-studio check: exit 1 on error findings (CI gate), 0 otherwise, 2 on usage errors."""

from __future__ import annotations

import json

import yaml

from click.testing import CliRunner

from policies.commands import main

from .conftest import FIXTURES, SAMPLES


def test_error_finding_fails_the_gate() -> None:
    result = CliRunner().invoke(main, ["check", str(FIXTURES / "shadowed_pair.yaml")])
    assert result.exit_code == 1
    assert result.output.startswith("ERROR · shadowed (1)")


def test_warnings_only_pass_and_show_witnesses_as_requests() -> None:
    result = CliRunner().invoke(main, ["check", str(SAMPLES / "safety_first.yaml")])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    # grouped and ranked: six overlaps read as one group, five shown, the rest counted
    assert lines[0] == "WARNING · overlap (6)" and "  … 1 more overlap findings (--all lists every one)" in lines
    assert "WARNING · coverage-gap (1)" in lines
    # the witness is a request (the policy's own keyword, a named placeholder for the classifier) and a table
    lines = CliRunner().invoke(main, ["check", "--all", str(SAMPLES / "safety_first.yaml")]).output.splitlines()
    at = next(i for i, line in enumerate(lines) if "'crisis_support' and 'code_help'" in line) + 1
    keyword = next(k for k in ("kill myself", "end my life", "self harm", "suicide") if k in lines[at])
    assert lines[at] == f"      example request: '{keyword}. [a computer science question]'"
    assert lines[at + 1].split() == ["signal", "value", "threshold", "fires"]
    assert lines[at + 2].split() == ["domain:code", "computer", "science", "—", "yes"]
    assert lines[at + 3].split() == ["keyword:self_harm", *f"'{keyword}'".split(), "—", "yes"]
    assert "text=''" not in result.output and "tokens=" not in result.output


def test_no_repair_lets_a_jailbreak_through_to_a_model() -> None:
    output = CliRunner().invoke(main, ["check", "--all", str(SAMPLES / "safety_first.yaml")]).output
    offered = [line for line in output.splitlines() if line.startswith("      repair (")]
    assert not [line for line in offered if "raise 'code_help' to priority 1001" in line
                or "raise 'crisis_support' to priority 1001" in line]
    assert any("raise 'block_sensitive_ids' to priority 1001" in line for line in offered)
    # and the report says why it is not offered
    assert ("      not offered (reorder): raise 'code_help' to priority 1001 so 'code_help' wins where both match: "
            "a request a block answers without a model would reach a model") in output.splitlines()


def test_accepting_an_overlap_writes_an_annotation_vllm_sr_accepts(tmp_path) -> None:
    from policies import vllm_sr_check

    source = SAMPLES / "safety_first.yaml"
    data = json.loads(CliRunner().invoke(main, ["check", "--json", str(source)]).output)
    overlap = next(f for f in data["findings"] if f["decisions"] == ["block_jailbreak", "code_help"])
    out = tmp_path / "accepted.yaml"
    result = CliRunner().invoke(main, ["check", "--accept", overlap["id"], "--out", str(out), str(source)])
    assert result.exit_code == 0, result.output
    assert "ACCEPTED AS INTENDED · overlap (1)" in result.output
    assert "'block_jailbreak' takes the requests it shares with 'code_help'" in result.output
    assert "WARNING · overlap (5)" in result.output.splitlines()
    assert f"{out}: 0 errors, 6 warnings, 0 info, 1 accepted as intended" in result.output
    written = yaml.safe_load(out.read_text())["routing"]["decisions"][0]
    assert written["annotations"] == {"routing-studio/accepted-overlaps": ["code_help"]}
    # the router's own validator accepts the annotated file, and would reject the same note under another key
    assert vllm_sr_check.vllm_sr_errors(out) == []
    elsewhere = tmp_path / "metadata.yaml"
    elsewhere.write_text(out.read_text().replace("    annotations:\n", "    metadata:\n"))
    assert any("metadata" in e for e in vllm_sr_check.vllm_sr_errors(elsewhere))
    # and a second run on the written file agrees
    again = json.loads(CliRunner().invoke(main, ["check", "--json", str(out)]).output)
    assert [f["accepted"] for f in again["findings"] if f["id"] == overlap["id"]] == [True]
    assert [(g["kind"], g["accepted"], g["count"]) for g in again["groups"]] == [
        ("overlap", False, 5), ("coverage-gap", False, 1), ("overlap", True, 1)]
    assert again["groups"][-1]["ids"] == [overlap["id"]]


def test_accept_needs_out_and_a_known_id(tmp_path) -> None:
    source = str(SAMPLES / "safety_first.yaml")
    assert CliRunner().invoke(main, ["check", "--accept", "abc", source]).exit_code == 2
    result = CliRunner().invoke(main, ["check", "--accept", "nosuchid", "--out", str(tmp_path / "o.yaml"), source])
    assert result.exit_code == 2 and "no finding with that id" in result.output


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
    assert finding["witnesses_real_text"] == ["a python question"]
    assert finding["repairs"] == []
    text = CliRunner().invoke(main, ["check", "--no-repairs", "--traffic", str(log),
                                     str(FIXTURES / "priority_tie.yaml")]).output.splitlines()
    at = next(i for i, line in enumerate(text) if line.startswith("      traffic: "))
    assert text[at].startswith("      traffic: 1 logged requests · 25.0% of traffic")
    assert text[at + 1] == "        r1: 'a python question'"


def test_repairs_are_shown_unless_skipped() -> None:
    path = str(FIXTURES / "priority_tie.yaml")
    shown = CliRunner().invoke(main, ["check", path]).output
    assert "repair (reorder): raise 'zz_code' to priority 101" in shown and "[proved local" in shown
    assert "repair (" not in CliRunner().invoke(main, ["check", "--no-repairs", path]).output
    (finding,) = json.loads(CliRunner().invoke(main, ["check", "--json", path]).output)["findings"]
    assert {r["kind"] for r in finding["repairs"]} == {"reorder", "guard"}
    assert all(r["diff"].startswith("--- policy.yaml") and r["locality"]["local"] for r in finding["repairs"])
