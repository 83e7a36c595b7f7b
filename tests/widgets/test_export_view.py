"""Export: rendered after validation, refused with reasons, diffed, downloaded and written atomically."""

from __future__ import annotations

from pathlib import Path

import yaml

from policies.loader import load_policy
from policies.validation import validate_policy
from widgets.export_view import ExportView
from widgets.state import PolicyState


def test_renders_each_format(state: PolicyState) -> None:
    view = ExportView(state=state)
    view.__panel__()
    assert view.text and yaml.safe_load(view.text)["routing"]["decisions"]
    view.format = "k8s-semanticrouter"
    assert yaml.safe_load(view.text)["kind"] and view.download.filename == "cost_optimised.semanticrouter.yaml"
    view.format = "k8s"  # the CRD pair cannot express complexity signals: refused with located reasons
    assert view.text == "" and "complexity signals have no CRD form" in view.status.object


def test_errors_block_export_with_reasons(state: PolicyState) -> None:
    view = ExportView(state=state)
    state.edit_text(state.text.replace("{model: deepseek-r1, use_reasoning: true}", "{model: nope}"))
    assert view.text == "" and view.problems
    assert view.status.visible and "Cannot export" in view.status.object
    assert view.download.disabled and view.write_button.disabled
    assert not view.write("/tmp/should-not-exist.yaml")


def test_diff_against_the_opened_version(state: PolicyState) -> None:
    view = ExportView(state=state)
    assert view.diff() == ""
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 301
    state.apply_spec(spec)
    assert "-    priority: 300" in view.diff() and "+    priority: 301" in view.diff()


def test_write_is_validated_and_becomes_the_baseline(state: PolicyState, tmp_path: Path) -> None:
    view = ExportView(state=state)
    spec = state.spec()
    spec["routing"]["decisions"][0]["priority"] = 301
    state.apply_spec(spec)
    target = tmp_path / "out" / "router.yaml"
    target.parent.mkdir()
    assert view.write(str(target))
    written = load_policy(target)
    assert not [f for f in validate_policy(written) if f.severity.value == "error"]
    assert written.routing.decision("long_documents").priority == 301
    assert view.diff() == "" and "Wrote" in view.status.object
    assert not view.write(str(tmp_path / "missing-dir" / "x.yaml"))
    assert "Not written" in view.status.object


def test_download_gives_the_rendered_text(state: PolicyState) -> None:
    view = ExportView(state=state)
    assert view._download_bytes().read().decode() == view.text
