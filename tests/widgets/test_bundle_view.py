"""Bundle view: builds a verifiable bundle of the open policy; verifies uploads, refusing tampered ones."""

from __future__ import annotations

from policies.bundles import open_bundle, write_archive
from widgets.bundle_view import BundleView
from widgets.state import PolicyState


def test_build_then_verify_round_trip(state: PolicyState) -> None:
    view = BundleView(state=state, message="studio build")
    view.__panel__()
    data = view._bundle_bytes().getvalue()
    files, manifest = open_bundle(data)
    assert manifest["policy"]["name"] == state.policy_name and manifest["policy"]["message"] == "studio build"
    assert "config.yaml" in files and view.download.filename == f"{state.policy_name}.bundle.tar.gz"
    result = view.verify(data, "b.tar.gz")
    assert result is not None and result.ok and "verified" in view.status.object


def test_tampered_and_garbage_uploads_are_reported(state: PolicyState) -> None:
    view = BundleView(state=state)
    files, _ = open_bundle(view.build())
    files["config.yaml"] = files["config.yaml"] + b"\n# edited\n"
    assert not view.verify(write_archive(files, 0), "t.tar.gz").ok
    assert "FAILED verification" in view.status.object and "sha256" in view.status.object
    assert view.verify(b"not a bundle", "junk.tgz") is None and "Not a valid bundle" in view.status.object


def test_policy_with_errors_cannot_be_bundled(state: PolicyState) -> None:
    view = BundleView(state=state)
    state.edit_text(state.text.replace("{model: deepseek-r1, use_reasoning: true}", "{model: nope}"))
    assert view._bundle_bytes() is None and "Cannot build the bundle" in view.status.object
