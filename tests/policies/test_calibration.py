"""Calibration from logged verdicts (issue 17, item 4): real Router Replay logs, real models, real CLI.

The logs are written here from the simulator's own verdicts at a threshold t* other than the
policy's, so a correct fit must reach 100% agreement and reproduce t*'s verdicts exactly.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from policies.calibration import DEFAULT_ROUTE, FIRED, NOT_FIRED, calibrate, with_thresholds
from policies.columns import fired_column
from policies.errors import PolicyError
from policies.loader import dumps_policy, load_policy
from policies.simulation.engine import Simulator
from policies.simulation.sweep import with_signal_field
from policies.traffic import read_traffic
from policies.yaml_source import dump_yaml
from tests.calibration_logs import (LEAF, POLICY, ROOT, SIGNAL, Logged, changed_lines, logged_at, replay_record,
                                    sample_prompts)
from tests.policies.simulation.conftest import make_policy

CLI = [shutil.which("routing-studio") or "routing-studio", "calibrate"]  # the installed console script


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    return logged_at(tmp_path_factory.mktemp("calibration"))


def _fit(path: Path, policy, **options):
    traffic = read_traffic(path)
    simulator = Simulator(traffic)
    return simulator, calibrate(simulator, traffic.requests, policy, [SIGNAL], **options)


def test_logged_signal_verdicts_recover_the_threshold_they_came_from(logged: Logged) -> None:
    simulator, (fit,) = _fit(logged.write("signals.jsonl", signals=True, decisions=False), logged.policy)
    assert (fit.signal, fit.target, fit.labelled) == (SIGNAL, "signal", 160)
    assert fit.old_threshold == 0.1 and fit.changed
    assert fit.before < 1.0 and fit.after == 1.0
    fired = sum(logged.hard)
    assert fit.confusion_after == {(FIRED, FIRED): fired, (NOT_FIRED, NOT_FIRED): 160 - fired}
    assert sum(fit.confusion_before.values()) == 160 and fit.confusion_before.get((FIRED, NOT_FIRED), 0) > 0
    # the fitted threshold gives exactly t*'s verdicts under a full simulation
    fitted = simulator.simulate(with_thresholds(logged.policy, [fit]))
    assert fitted.requests[fired_column(LEAF)].to_list() == logged.hard


def test_decision_only_log_fits_the_signal_through_the_decisions_it_feeds(logged: Logged) -> None:
    simulator, (fit,) = _fit(logged.write("decisions.jsonl", signals=False), logged.policy)
    assert fit.target == "decision" and fit.labelled == 160 and fit.informative >= 30
    assert fit.before < 1.0 and fit.after == 1.0 and fit.changed
    fitted = simulator.simulate(with_thresholds(logged.policy, [fit]))
    assert fitted.requests["decision"].fill_null(DEFAULT_ROUTE).to_list() == [
        d or DEFAULT_ROUTE for d in logged.decision]
    assert any(a != b for a, b in fit.confusion_before) and all(a == b for a, b in fit.confusion_after)


def test_too_few_labels_keep_the_written_threshold(logged: Logged) -> None:
    path = logged.write("few.jsonl", signals=True, decisions=False, labelled=20)
    _, (fit,) = _fit(path, logged.policy)
    assert fit.labelled == 20 and fit.min_labels == 30
    assert not fit.changed and fit.new_threshold == 0.1 and fit.after == fit.before
    assert "too few labels: 20 labelled requests, at least 30 needed" in fit.note
    _, (lowered,) = _fit(path, logged.policy, min_labels=10)
    assert lowered.changed and lowered.after == 1.0


def test_a_log_that_agrees_keeps_the_written_threshold(logged: Logged, tmp_path: Path) -> None:
    at_written = logged_at(tmp_path, threshold=0.1)  # production ran the policy's own threshold
    _, (fit,) = _fit(at_written.write("agrees.jsonl", signals=True, decisions=False), logged.policy)
    assert fit.before == fit.after == 1.0 and not fit.changed


def test_signals_without_labels_or_threshold_are_named_errors(logged: Logged) -> None:
    traffic = read_traffic(logged.folder / "bare.jsonl")
    simulator = Simulator(traffic)
    with pytest.raises(PolicyError, match="logs neither production's complexity signals"):
        calibrate(simulator, traffic.requests.drop("prior_decision", "prior_selected_model", strict=False),
                  logged.policy, [SIGNAL])
    with pytest.raises(PolicyError, match="context signal .long_context. has no numeric threshold"):
        calibrate(simulator, traffic.requests, logged.policy, ["context:long_context"])
    with pytest.raises(PolicyError, match="no complexity signal named 'nope'"):
        calibrate(simulator, traffic.requests, logged.policy, ["complexity:nope"])
    trained = with_signal_field(logged.policy, "complexity", "difficulty", "method", "model")  # not bundled
    with pytest.raises(PolicyError, match="the simulation cannot compute it .method: model uses the router's trained"):
        calibrate(simulator, traffic.requests, trained, [SIGNAL])


def test_cli_writes_only_the_fitted_threshold_line(logged: Logged, tmp_path: Path) -> None:
    log = logged.write("cli.jsonl", signals=True, decisions=False)
    out = tmp_path / "calibrated.yaml"
    run = subprocess.run([*CLI, str(POLICY), "--traffic", str(log), "--signal", SIGNAL, "--write", str(out),
                          "--json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    (fit,) = json.loads(run.stdout)["fits"]
    assert fit["agreement_after"] == 1.0 and fit["old_threshold"] == 0.1
    before, after = POLICY.read_text().splitlines(), out.read_text().splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-        threshold: 0.1", f"+        threshold: {fit['new_threshold']}"]
    assert dumps_policy(load_policy(out)) == out.read_text()
    text = subprocess.run([*CLI, str(POLICY), "--traffic", str(log)],
                          capture_output=True, text=True, check=False)
    assert text.returncode == 0 and "complexity:difficulty: 160 logged verdicts; agreement" in text.stdout
    assert f"threshold 0.1 -> {fit['new_threshold']:g}" in text.stdout
    missed = next(c["requests"] for c in fit["confusion_before"] if (c["logged"], c["simulated"]) == (FIRED, NOT_FIRED))
    assert f"  disagreements before: logged fired / simulated not fired: {missed}\n" in text.stdout
    assert "disagreements after" not in text.stdout
    bad = subprocess.run([*CLI, str(POLICY), "--traffic", str(log),
                          "--signal", "complexity:nope"], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "cost_optimised.yaml" in bad.stderr and "'nope'" in bad.stderr


def test_every_referenced_signal_is_fitted_from_its_own_family(tmp_path: Path) -> None:
    """safety_first's jailbreak guard (0.8) and PII guard (0.85), logged at 0.3 and 0.95: both fitted at
    once, each from its family, to 100%, and the jailbreak threshold comes back as the short 0.3."""
    prompts = sample_prompts(200)
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps(replay_record(i, p, None, {})) + "\n" for i, p in enumerate(prompts)))
    policy = load_policy(ROOT / "sample_data/policies/safety_first.yaml")
    star = with_signal_field(with_signal_field(policy, "jailbreak", "prompt_injection", "threshold", 0.3),
                             "pii", "credentials_or_ids", "threshold", 0.95)
    verdicts = Simulator(read_traffic(bare)).simulate(star).requests
    guards = {"jailbreak": "prompt_injection", "pii": "credentials_or_ids"}
    fired = {kind: verdicts[fired_column((kind, name))].to_list() for kind, name in guards.items()}
    log = tmp_path / "guards.jsonl"
    log.write_text("".join(json.dumps(replay_record(i, p, None, {kind: [name] if fired[kind][i] else []
                                                                 for kind, name in guards.items()})) + "\n"
                           for i, p in enumerate(prompts)))
    traffic = read_traffic(log)
    fits = {f.signal: f for f in calibrate(Simulator(traffic), traffic.requests, policy)}
    assert set(fits) == {"jailbreak:prompt_injection", "pii:credentials_or_ids"}  # keyword self_harm: no threshold
    jailbreak, pii = fits["jailbreak:prompt_injection"], fits["pii:credentials_or_ids"]
    assert (jailbreak.old_threshold, jailbreak.new_threshold) == (0.8, 0.3) and jailbreak.before < 1.0
    assert pii.old_threshold == 0.85 and pii.before < 1.0
    assert jailbreak.after == pii.after == 1.0 and {jailbreak.target, pii.target} == {"signal"}


MATHS = {"name": "maths", "operator": "OR", "method": "bm25", "keywords": ["which", "following", "number"]}


def test_a_bm25_keyword_threshold_is_fitted_in_its_own_field(tmp_path: Path) -> None:
    """BM25 keywords keep their cut-off in ``bm25_threshold`` (unset: the router's 0.1, a float32); logged
    at 1.0, it is fitted there, and the policy written gains that one line."""
    policy_file = tmp_path / "keywords.yaml"
    policy_file.write_text(dump_yaml(make_policy([{"name": "maths", "priority": 10, "rules": {
        "type": "keyword", "name": "maths"}, "modelRefs": [{"model": "large"}]}], {"keywords": [MATHS]}).to_spec()))
    policy = load_policy(policy_file)
    prompts = sample_prompts(200)
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps(replay_record(i, p, None, {})) + "\n" for i, p in enumerate(prompts)))
    star = with_signal_field(policy, "keyword", "maths", "bm25_threshold", 1.0)
    fired = Simulator(read_traffic(bare)).simulate(star).requests[fired_column(("keyword", "maths"))].to_list()
    log = tmp_path / "keywords.jsonl"
    log.write_text("".join(json.dumps(replay_record(i, p, None, {"keyword": ["maths"] if f else []})) + "\n"
                           for i, (p, f) in enumerate(zip(prompts, fired))))
    traffic = read_traffic(log)
    simulator = Simulator(traffic)
    (fit,) = calibrate(simulator, traffic.requests, policy)
    assert (fit.signal, fit.target, fit.field, fit.old_threshold) == ("keyword:maths", "signal", "bm25_threshold", 0.1)
    assert sum(fired) > 0 and fit.confusion_before[(NOT_FIRED, FIRED)] > 0  # 0.1 fires where 1.0 did not
    assert fit.after == 1.0 and fit.changed
    fitted = with_thresholds(policy, [fit])
    assert simulator.simulate(fitted).requests[fired_column(("keyword", "maths"))].to_list() == fired
    assert changed_lines(policy_file.read_text(), dumps_policy(fitted)) == [
        f"+      bm25_threshold: {fit.new_threshold}"]
