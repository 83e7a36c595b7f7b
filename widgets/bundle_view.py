"""Bundles in the studio: build a production bundle of the current policy, and verify one.

Both go through ``policies.bundles`` (the same code as ``routing-studio bundle build|verify``), so
a bundle downloaded here is byte-identical to one the command line builds from the same inputs.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import panel as pn
import param

from policies.api import PolicyError, PolicyRef, Verification, blocking_errors, build_bundle, verify_bundle

from .markdown_text import md_text
from .state import StateView


class BundleView(StateView):
    """Download a bundle of the open policy; upload a bundle to verify it."""

    message = param.String(default="", doc="Version message recorded in the bundle manifest.")
    verification = param.ClassSelector(class_=Verification, allow_None=True, doc="Result of the last verify.")
    allow_errors = param.Boolean(default=False, doc="Build despite errors (the Export view's confirmation).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.message_input = pn.widgets.TextInput.from_param(self.param.message, name="Message in the manifest")
        self.download = pn.widgets.FileDownload(callback=self._bundle_bytes, filename=self._filename(),
                                                label="Build bundle (.tar.gz)", button_type="primary")
        self.upload = pn.widgets.FileInput(accept=".tar.gz,.tgz", name="Verify a bundle")
        self.upload.param.watch(lambda event: self.verify(event.new, self.upload.filename or "bundle"), "value")
        self.status = pn.pane.Alert("", visible=False, sizing_mode="stretch_width", css_classes=["bundle-status"])
        self.state.param.watch(lambda _: setattr(self.download, "filename", self._filename()), "policy_name")

    def build(self) -> bytes:
        """The bundle bytes; refused (with the located reasons shown) when the policy cannot be exported."""
        if self.state.policy is None:
            raise PolicyError.single("bundle", "no valid policy is open")
        errors = [] if self.allow_errors else blocking_errors(self.state.policy)
        if errors:  # the same gate as ``routing-studio bundle build`` without --allow-errors
            raise PolicyError(errors)
        ref = PolicyRef(self.state.policy_name, self.state.version or None, self.message)
        data, _notes = build_bundle(self.state.policy, ref, datetime.now(timezone.utc))
        return data

    def verify(self, data: bytes | None, name: str = "bundle") -> Verification | None:
        """Checksums, re-validation and the re-run conflict analysis, shown in the status line."""
        if not data:
            return None
        try:
            result = verify_bundle(data, name)
        except PolicyError as exc:
            self._say("Not a valid bundle: " + "; ".join(f.human() for f in exc.findings[:5]), "danger")
            self.verification = None
            return None
        self.verification = result
        if result.ok:
            policy = result.manifest.get("policy", {})
            self._say(f"{name}: verified (policy {policy.get('name')} v{policy.get('version')}, "
                      f"{len(result.manifest.get('files', {}))} files)", "success")
        else:
            lines = result.problems + [f"conflict report differs: {f['kind']} {f['decisions']}"
                                       for f in result.findings_added + result.findings_removed]
            self._say(f"{name}: FAILED verification  \n" + "  \n".join(lines[:10]), "danger")
        return result

    def _bundle_bytes(self) -> io.BytesIO | None:
        try:
            data = self.build()
        except PolicyError as exc:
            self._say("Cannot build the bundle: " + "; ".join(f.human() for f in exc.findings[:5]), "danger")
            return None
        self._say(f"Built {self._filename()} ({len(data):,} bytes).", "success")
        return io.BytesIO(data)

    def _filename(self) -> str:
        return f"{self.state.policy_name}.bundle.tar.gz"

    def _say(self, message: str, kind: str) -> None:
        self.status.param.update(object=md_text(message), alert_type=kind, visible=True)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(pn.Row(self.message_input, self.download), self.upload, self.status,
                         sizing_mode="stretch_width")
