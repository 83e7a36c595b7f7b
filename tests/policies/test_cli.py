"""The routing-studio command line: exit codes, output forms, import and export."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from policies.commands import main
from policies.formatting import count, ms, percent, score, signed, usd
from policies.validation import validate_policy
from policies.loader import load_policy

from .conftest import CANONICAL_FILES, OTHER_LAYOUTS, ROOT, SAMPLES
from .simulation.test_engine import traffic

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


# --- figures for people, numbers for machines (issue #11, item 8) ---

RAW_FLOAT = re.compile(r"\d\.\d{5,}")  # an unrounded float leaking into the human output


@pytest.fixture(scope="module")
def sample_log(tmp_path_factory) -> Path:
    """The first 40 requests of the bundled sample traffic: real prompts, models, costs and latencies."""
    path = tmp_path_factory.mktemp("traffic") / "sample40.jsonl"
    with gzip.open(ROOT / "sample_data/traffic/sample_requests.jsonl.gz", "rt") as source:
        path.write_text("".join(itertools.islice(source, 40)))
    return path


def strict_json(text: str) -> Any:
    """Parse as standard JSON: NaN or Infinity (which ``json.dumps`` writes by default) fail the test."""
    def refuse(constant: str) -> None:
        pytest.fail(f"{constant} in --json output is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_formats_read_as_people_write_them():
    assert (usd(1234.567), usd(0.0502), usd(0.0), usd(-2.5)) == ("$1,234.57", "$0.0502", "$0.00", "-$2.50")
    assert (percent(0.926), percent(1.0, 0), ms(1954.3), ms(12.0)) == ("92.6%", "100%", "1,954 ms", "12 ms")
    assert (count(6000), count(6000.0), score(0.53806)) == ("6,000", "6,000", "0.538")
    assert (signed(251.06, ms), signed(-0.0044, usd), signed(0.0, percent)) == ("+251 ms", "−$0.0044", "0.0%")
    assert {f(None) for f in (usd, percent, ms, count, score)} == {f(float("nan")) for f in (usd, ms)} == {"n/a"}
    assert signed(None, usd) == "n/a"


def test_simulate_prints_figures_for_people_and_raw_numbers_with_json(sample_log):
    policy = str(SAMPLES / "cost_optimised.yaml")
    data = strict_json(run("simulate", policy, "--traffic", str(sample_log), "--json").stdout)
    human = run("simulate", policy, "--traffic", str(sample_log))
    assert human.exit_code == 0, human.output
    s = data["summary"]
    assert s["requests"] == 40 and isinstance(s["p50_latency_ms"], float) and isinstance(s["total_cost_usd"], float)
    # the human lines carry the JSON's numbers, formatted: same run, same figures
    text = human.stdout
    assert f"requests 40  total cost {usd(s['total_cost_usd'])}" in text
    assert f"p50 {ms(s['p50_latency_ms'])}  p95 {ms(s['p95_latency_ms'])}" in text
    assert f"savings vs {s['strongest_model']} {percent(s['savings_vs_strongest'])}" in text
    assert re.search(r"p50 [\d,]+ ms", text) and re.search(r"savings vs \S+ \d+\.\d%", text)
    assert not RAW_FLOAT.search(text), text
    rows = {r["decision"]: r for r in data["per_decision"]}
    lines = text.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.split()[:2] == ["decision", "hits"]) + 1:]
    assert len(table) == len(rows)
    for line in table:  # the per-decision table: hits as integers, share, cost
        name, hits, share, cost = line.split()[:4]
        assert (hits, share, cost) == (count(rows[name]["hits"]), percent(rows[name]["hit_rate"]),
                                       usd(rows[name]["total_cost"]))


def test_diff_formats_each_metric_and_json_stays_parseable(sample_log):
    a, b = str(SAMPLES / "cost_optimised.yaml"), str(SAMPLES / "safety_first.yaml")
    data = strict_json(run("diff", a, b, "--traffic", str(sample_log), "--json").stdout)
    human = run("diff", a, b, "--traffic", str(sample_log)).stdout
    assert human.startswith(f"{data['changed']} of 40 requests change decision or model")
    cost, latency = data["deltas"]["cost_usd"], data["deltas"]["latency_ms"]
    assert f"total cost: {usd(cost['a'])} → {usd(cost['b'])} (Δ {signed(cost['delta'], usd)}" in human
    assert f"p95 latency: {ms(latency['a'])} → {ms(latency['b'])}" in human
    assert not RAW_FLOAT.search(human), human
    assert sum(t["requests"] for t in data["transitions"]) == 40


def test_json_has_no_nan_where_a_metric_has_no_data(tmp_path):
    """Traffic without latency or quality: the deltas are undefined and must be null, not NaN."""
    reqs, _ = traffic()
    log = tmp_path / "t.jsonl"
    reqs.write_ndjson(log)
    policy = str(SAMPLES / "safety_first.yaml")
    data = strict_json(run("diff", policy, policy, "--traffic", str(log), "--json").stdout)
    assert data["deltas"]["quality"]["a"] is None and data["deltas"]["quality"]["ci95"] == [None, None]
    human = run("diff", policy, policy, "--traffic", str(log)).stdout
    assert "mean quality: n/a → n/a" in human
