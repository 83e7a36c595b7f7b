"""Export: rendered after validation, refused with reasons, diffed, downloaded and written atomically."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from policies.bundles import open_bundle
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


def _add_unreachable_decision(state: PolicyState) -> None:
    """A copy of the first-ranked decision, ranked last and routed elsewhere: unreachable (a conflict error)."""
    spec = state.spec()
    decisions = spec["routing"]["decisions"]
    first = max(decisions, key=lambda d: d["priority"])
    shadow = copy.deepcopy(first)
    shadow.update(name="shadow_copy", priority=min(d["priority"] for d in decisions) - 1,
                  modelRefs=copy.deepcopy(next(d["modelRefs"] for d in decisions if d["modelRefs"] != first["modelRefs"])))
    decisions.append(shadow)
    assert state.apply_spec(spec)


def test_conflict_errors_need_an_explicit_confirmation(state: PolicyState, tmp_path: Path) -> None:
    view = ExportView(state=state, debounce_ms=0)
    view.__panel__()
    assert not view.errors and not view.confirm.visible and not view.download.disabled
    _add_unreachable_decision(state)
    (error,) = view.errors
    assert error.code in {"shadowed", "unreachable"} and "'shadow_copy'" in error.message and error.line
    assert view.text == "" and view.download.disabled and view.write_button.disabled
    assert view.confirm.visible and view.confirm.label == "Export despite 1 error"
    assert "Cannot export" in view.status.object and "shadow" in view.status.object
    assert view._download_bytes() is None and not view.write(str(tmp_path / "refused.yaml"))
    assert not (tmp_path / "refused.yaml").exists()

    view.confirm.value = True  # the user ticks "Export despite 1 error"
    assert view.allow_errors and "shadow_copy" in view.text
    assert not view.download.disabled and not view.write_button.disabled
    assert view.status.alert_type == "warning" and "Exporting despite 1 error" in view.status.object
    assert view._download_bytes().read().decode() == view.text
    assert view.write(str(tmp_path / "confirmed.yaml"))
    assert "shadow_copy" in (tmp_path / "confirmed.yaml").read_text()

    spec = state.spec()  # any edit asks again: the confirmation covered the errors it was given for
    spec["routing"]["decisions"][0]["priority"] += 1
    assert state.apply_spec(spec)
    assert not view.allow_errors and not view.confirm.value and view.text == "" and view.download.disabled


def test_validation_errors_can_be_confirmed_too(state: PolicyState) -> None:
    view = ExportView(state=state, debounce_ms=0)
    state.edit_text(state.text.replace("{model: deepseek-r1, use_reasoning: true}", "{model: nope}"))
    assert view.errors and view.text == "" and view.confirm.visible
    view.allow_errors = True
    assert "model: nope" in view.text


def test_kubernetes_refusals_are_shown_whatever_the_format(state: PolicyState) -> None:
    view = ExportView(state=state)
    view.__panel__()
    assert view.format == "vllm-sr" and view.text  # the chosen format exports...
    assert view.k8s_refusals and "refuses this policy" in view.targets.object  # ...and the k8s pair's reasons show
    assert "complexity signals have no CRD form" in view.targets.object.replace("\\", "")


def test_a_policy_the_pair_can_express_says_so() -> None:
    from policies.loader import load_policy as load

    pair = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "k8s_pair.yaml"
    view = ExportView(policy=load(pair))
    assert view.k8s_refusals == [] and "can express this policy" in view.targets.object


def test_the_bundle_tab_is_gated_by_the_same_confirmation(state: PolicyState) -> None:
    view = ExportView(state=state, debounce_ms=0)
    view.__panel__()
    _add_unreachable_decision(state)
    assert view.bundle._bundle_bytes() is None and "Cannot build the bundle" in view.bundle.status.object
    assert "unreac" in view.bundle.status.object
    view.confirm.value = True  # "Export despite 1 error" covers the bundle too
    files, manifest = open_bundle(view.bundle._bundle_bytes().getvalue())
    assert b"shadow_copy" in files["config.yaml"]
