"""Checks tab (issue 14, items 1 and 3): grouped findings, overlaps accepted as intended through the state's edit API,
witnesses shown as requests, and a simulation's traffic share, cost and logged requests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policies import Severity
from policies.conflicts.intent import ACCEPTED_KEY
from policies.loader import loads_policy
from policies.simulation import simulate
from policies.traffic import sample_traffic
from widgets.checks import ChecksPanel
from widgets.state import PolicyState

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "policies"


@pytest.fixture
def safety() -> PolicyState:
    s = PolicyState()
    assert s.open_text((SAMPLES / "safety_first.yaml").read_text(), "safety_first")
    return s


def _buttons(objects: list) -> list[str]:
    """Labels of every button in the detail, nested rows and columns included."""
    out = []
    for o in objects:
        if getattr(o, "label", None) and hasattr(o, "clicks"):
            out.append(o.label)
        out += _buttons(list(getattr(o, "objects", []) or []))
    return out


def _detail_text(checks: ChecksPanel) -> str:
    return " ".join(str(getattr(o, "object", "") or "") for o in checks.detail.objects)


def test_findings_are_grouped_and_ranked(safety: PolicyState) -> None:
    checks = ChecksPanel(state=safety, debounce_ms=0)
    checks.__panel__()
    titles = list(checks.group_select.options)
    assert titles[:3] == ["all groups", "WARNING · overlap (6)", "WARNING · coverage-gap (1)"]
    assert "<li>WARNING · overlap (6)</li>" in checks.groups_view.object
    checks.group_select.value = checks.group_select.options["WARNING · overlap (6)"]
    assert {it.code for it in checks.shown()} == {"overlap"} and len(checks.shown()) == 6
    # members stay together, groups in rank order
    codes = [it.code for it in checks.items]
    assert codes == sorted(codes, key=lambda c: c != "overlap")


def test_accepting_an_overlap_is_an_undoable_edit_of_the_file(safety: PolicyState) -> None:
    checks = ChecksPanel(state=safety, debounce_ms=0)
    checks.__panel__()
    item = next(it for it in checks.items if it.decisions == ["block_jailbreak", "code_help"])
    checks.selected = item.key
    assert "Accept as intended" in _buttons(checks.detail.objects)
    # no repair lifts code_help above the block, and the tab says why
    assert "Accept repair" not in _buttons(checks.detail.objects)
    assert "<b>Not offered:</b>" in _detail_text(checks)
    assert "raise &#x27;code_help&#x27; to priority 1001" in _detail_text(checks)
    assert "a request a block answers without a model would reach a model" in _detail_text(checks)
    assert checks.accept_as_intended()
    written = yaml.safe_load(safety.text)["routing"]["decisions"][0]  # the YAML the editor shows
    assert written["annotations"] == {ACCEPTED_KEY: ["code_help"]}
    accepted = next(it for it in checks.items if it.decisions == ["block_jailbreak", "code_help"])
    assert accepted.accepted and accepted.label().startswith("ACCEPTED · overlap")
    assert "ACCEPTED AS INTENDED · overlap (1)" in checks.group_select.options
    assert "1 accepted as intended" in checks.summary.object
    assert sum(it.severity is Severity.WARNING and not it.accepted for it in checks.items) == 6
    # the file, read again (as the CLI reads it), agrees
    reread = ChecksPanel(state=PolicyState(), debounce_ms=0)
    assert reread.state.open_text(safety.text, "again")
    assert [it.accepted for it in reread.items if it.decisions == ["block_jailbreak", "code_help"]] == [True]
    safety.undo()
    assert ACCEPTED_KEY not in safety.text
    assert not any(it.accepted for it in checks.items)


def test_witness_is_a_request_with_its_table(safety: PolicyState) -> None:
    checks = ChecksPanel(state=safety, debounce_ms=0)
    checks.__panel__()
    item = next(it for it in checks.items if it.decisions == ["crisis_support", "code_help"])
    checks.selected = item.key
    text = _detail_text(checks)
    assert "Witness request" in text and "[a computer science question]" in text
    assert "<th>signal</th><th>value</th><th>threshold</th><th>fires</th>" in text
    assert "<tr><td>domain:code</td><td>computer science</td><td>—</td><td>yes</td></tr>" in text
    assert "text=&#x27;" not in text and "labels=" not in text  # no Python dict any more


@pytest.fixture(scope="module")
def simulated() -> tuple:
    """safety_first simulated on the sample traffic (real ONNX models; the shipped score layer), once."""
    traffic = sample_traffic()
    return simulate(loads_policy((SAMPLES / "safety_first.yaml").read_text(), "safety_first.yaml"), traffic), traffic


def test_the_studio_hands_the_simulation_tab_s_run_to_the_checks_tab(safety: PolicyState, simulated: tuple) -> None:
    from studio.extra_tabs import follow_policy
    from widgets.checks import SimulationFeed
    from widgets.simulation_dashboard import SimulationDashboard
    from widgets.simulators import Simulators

    result, traffic = simulated
    feed = SimulationFeed()
    checks = ChecksPanel(state=safety, debounce_ms=0, feed=feed)  # built before the Simulation tab
    dashboard = follow_policy(SimulationDashboard, safety, {"feed": feed, "simulators": Simulators()})
    dashboard.param.update(traffic=traffic, result=result)
    assert feed.result is result and checks.result is result
    assert any(it.share is not None for it in checks.items if it.source == "conflict")
    later = ChecksPanel(state=safety, debounce_ms=0, feed=feed)  # built after it: starts weighed
    assert any(it.share is not None for it in later.items if it.source == "conflict")


def test_a_simulation_gives_share_cost_and_logged_requests(safety: PolicyState, simulated: tuple) -> None:
    result, traffic = simulated
    checks = ChecksPanel(state=safety, debounce_ms=0)
    checks.__panel__()
    assert all(it.share is None for it in checks.items if it.source == "conflict")
    checks.param.update(result=result, traffic=traffic)
    weighed = [it for it in checks.items if it.source == "conflict" and it.share is not None]
    assert weighed, "no finding got a traffic share"
    hit = max(weighed, key=lambda it: it.share)
    finding = hit.original
    expected = sum(1 for row in result.requests.iter_rows(named=True)
                   if all(row[f"match::{d}"] for d in finding.decisions[:2])) if finding.kind == "overlap" else None
    if expected is not None:
        assert finding.count <= expected  # the region excludes what a higher decision takes
    assert hit.label().endswith(" of traffic") and f"{hit.share:.1%}" in hit.label()
    checks.selected = hit.key
    text = _detail_text(checks)
    assert "Traffic:" in text and "logged requests" in text and "of traffic" in text
    prompts = dict(traffic.requests.select("request_id", "prompt").iter_rows())
    first = finding.witnesses_real[0]
    assert f"<code>{first}</code>" in text and prompts[first][:40].replace("&", "&amp;")[:20] in text
    # an edit makes the simulation stale: shares are not carried over to a policy it did not simulate
    spec = safety.spec()
    spec["routing"]["decisions"][3]["priority"] = 150
    assert safety.apply_spec(spec)
    assert all(it.share is None for it in checks.items if it.source == "conflict")


def test_accepting_the_reorder_does_not_raise_its_mirror(safety: PolicyState) -> None:
    """The issue's loop by hand: accepting 'raise block_sensitive_ids to 1001' used to create the mirror warning
    offering to raise block_jailbreak, and the count stayed at 6."""
    checks = ChecksPanel(state=safety, debounce_ms=0)
    checks.__panel__()
    item = next(it for it in checks.items if it.decisions == ["block_jailbreak", "block_sensitive_ids"])
    checks.selected = item.key
    assert _buttons(checks.detail.objects).count("Accept repair") == 2  # reorder and guard offered
    assert checks.accept_repair(0) and safety.message.startswith("Repair applied: raise 'block_sensitive_ids'")
    mirror = next(it for it in checks.items if it.decisions == ["block_sensitive_ids", "block_jailbreak"])
    assert mirror.accepted
    checks.selected = mirror.key
    assert "Accept repair" not in _buttons(checks.detail.objects)
    assert sum(it.code == "overlap" and not it.accepted for it in checks.items) == 5
