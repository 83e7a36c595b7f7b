"""Export: the deployable vLLM SR YAML or Kubernetes resources, checked before anything is written.

A policy with errors (the validator's, and the conflict analysis's: an unreachable decision) shows
them instead of a file, as ``routing-studio export`` does; exporting it anyway takes an explicit
confirmation, the studio's ``--allow-errors``. Why the Kubernetes pair refuses the policy is shown
whatever the chosen format, not only in a bundle's manifest. A diff against the previous export (or
the stored version the policy was opened from) shows what a deploy would change. The Bundle tab
builds and verifies production bundles.
"""

from __future__ import annotations

import difflib
import io
from pathlib import Path
from typing import Any

import panel as pn
import param

from policies.api import (FORMATS, Finding, Policy, PolicyError, blocking_errors, errors_label, gate_findings,
                          render_export, target_refusals, write_export)

from .bundle_view import BundleView
from .markdown_text import md_code_block, md_text
from .state import Debouncer, StateView

_SUFFIX = {"vllm-sr": "yaml", "k8s": "k8s.yaml", "k8s-semanticrouter": "semanticrouter.yaml", "helm": "values.yaml",
           "dsl": "dsl"}


class ExportView(StateView):
    """Render, diff, download and write an export of the current policy."""

    format = param.Selector(default="vllm-sr", objects=list(FORMATS), doc="Target layout.")
    text = param.String(default="", doc="The rendered export ('' when the policy cannot be exported).")
    problems = param.List(default=[], doc="Why the export was refused, as located findings.")
    errors = param.List(default=[], doc="The policy's blocking errors (validation and conflict analysis).")
    allow_errors = param.Boolean(default=False, doc="Confirmed: export despite the errors (reset by every edit).")
    k8s_refusals = param.List(default=[], doc="Why the Kubernetes pair cannot express the policy ([] = it can).")
    debounce_ms = param.Integer(default=600, bounds=(0, None), doc="Quiet time after an edit before re-checking.")
    notes = param.List(default=[], doc="What the exporter changed for the target (warnings).")
    baseline = param.String(default="", doc="Previous export (or the opened version rendered) to diff against.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._checked: Policy | None = None  # the policy ``_findings`` and ``k8s_refusals`` were computed for
        self._findings: list[Finding] = []  # what the gate weighs, for any format
        self.format_select = pn.widgets.RadioButtonGroup.from_param(self.param.format)
        self.confirm = pn.widgets.Checkbox.from_param(self.param.allow_errors, visible=False,
                                                      css_classes=["export-confirm"])
        self.targets = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["export-targets"])
        self.bundle = BundleView(state=self.state)  # gated by the same confirmation as the export
        self.param.watch(lambda e: setattr(self.bundle, "allow_errors", e.new), "allow_errors")
        self.status = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["export-status"],
                                    sizing_mode="stretch_width")
        self.preview = pn.widgets.CodeEditor(language="yaml", readonly=True, height=420, sizing_mode="stretch_width")
        self.diff_pane = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["export-diff"])
        self.download = pn.widgets.FileDownload(callback=self._download_bytes, filename=self._filename(),
                                                label="Download", color="primary", embed=False)
        self.path_input = pn.widgets.TextInput(label="Write to path (on the server)", placeholder="/tmp/router.yaml")
        self.write_button = pn.widgets.Button(label="Write file", color="success", css_classes=["export-write"])
        self.write_button.on_click(lambda _: self.write(self.path_input.value))
        self.param.watch(lambda _: self.render(), ["format", "allow_errors"])
        self._rerender = Debouncer(self._policy_changed, self.debounce_ms)
        self.state.param.watch(lambda _: self._rerender(), "policy")
        self.state.param.watch(lambda _: self._reset_baseline(), "opened_text")
        self._reset_baseline()

    def render(self) -> None:
        """Check and render; errors (unless confirmed) and the target's refusals become ``problems``."""
        self.download.filename = self._filename()
        policy = self.state.policy
        if policy is None:
            self._checked = None
            self.param.update(text="", problems=[], notes=[], errors=[], k8s_refusals=[])
            self._refresh()
            return
        if self._checked is not policy:  # a format switch or the confirmation re-renders; only an edit re-checks
            self._checked, self._findings = policy, gate_findings(policy)
            self.param.update(k8s_refusals=target_refusals(policy, "k8s", self.state.policy_name))
        self.errors = blocking_errors(policy, self.format, self._findings)
        errors = self.errors
        if errors and not self.allow_errors:
            self.param.update(text="", problems=errors, notes=[])
        else:
            try:
                text, notes = render_export(policy, self.format, force=True, name=self.state.policy_name)
                self.param.update(text=text, problems=[], notes=notes)
            except PolicyError as exc:
                self.param.update(text="", problems=exc.findings, notes=[])
        self._refresh()

    def write(self, path: str) -> bool:
        """Write atomically to ``path`` (validated first); the written text becomes the diff baseline."""
        if self.state.policy is None or not path.strip():
            self._say("Enter a path to write to.", "warning")
            return False
        self.render()
        if not self.text:  # refused: ``render`` has said why
            return False
        try:
            write_export(self.state.policy, path.strip(), self.format, force=True)
        except PolicyError as exc:
            self._say("Not written: " + "; ".join(f.human() for f in exc.findings[:5]), "danger")
            return False
        except OSError as exc:
            self._say(f"Not written: {exc.strerror or exc}", "danger")
            return False
        self.baseline = Path(path.strip()).read_text(encoding="utf-8")
        self._refresh()
        self._say(f"Wrote {path.strip()} ({self.format}).", "success")
        return True

    def diff(self) -> str:
        """Unified diff from the baseline to the current export."""
        return "".join(difflib.unified_diff(self.baseline.splitlines(True), self.text.splitlines(True),
                                            fromfile="previous", tofile="current"))

    # -- internals ------------------------------------------------------------------------
    def _policy_changed(self) -> None:
        """A confirmation covers the errors it was given for: an edit asks again."""
        self._checked = None
        if self.allow_errors:
            self.allow_errors = False  # re-renders through the watcher
        else:
            self.render()

    def _reset_baseline(self) -> None:
        """The export of the policy as opened (or last saved) is what a deploy would replace."""
        self.render()
        self.baseline = self.text
        self._refresh()

    def _filename(self) -> str:
        return f"{self.state.policy_name}.{_SUFFIX[self.format]}"

    def _download_bytes(self) -> io.BytesIO | None:
        """Re-checked at click time: an edit still inside the debounce cannot slip through."""
        self.render()
        return io.BytesIO(self.text.encode("utf-8")) if self.text else None

    def _say(self, message: str, kind: str) -> None:
        self.status.param.update(object=md_text(message), alert_type=kind, visible=True)

    def _refresh(self) -> None:
        self.preview.value = self.text
        self.download.disabled = not self.text
        self.write_button.disabled = not self.text
        self.confirm.param.update(visible=bool(self.errors), label=f"Export despite {errors_label(len(self.errors))}")
        self.targets.object = self._targets_text()
        if self.problems:
            self._say("Cannot export until these are fixed:  \n" + "  \n".join(f.human() for f in self.problems[:10]),
                      "danger")
        elif self.errors:
            self._say(f"Exporting despite {errors_label(len(self.errors))}:  \n"
                      + "  \n".join(f.human() for f in self.errors[:10]), "warning")
        elif self.notes:
            self._say("Exported with changes:  \n" + "  \n".join(f.human() for f in self.notes), "warning")
        else:
            self.status.visible = False
        diff = self.diff() if self.text else ""
        self.diff_pane.object = md_code_block(diff, "diff") if diff else "*No changes against the previous export.*"

    def _targets_text(self) -> str:
        if self.state.policy is None:
            return ""
        if not self.k8s_refusals:
            return "**Kubernetes pair (k8s):** can express this policy."
        return "**Kubernetes pair (k8s) refuses this policy** (a bundle leaves it out):  \n" + "  \n".join(
            md_text(f.human()) for f in self.k8s_refusals[:10])

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.format_select, self.status, self.confirm, self.targets,
                         pn.Row(self.download, self.path_input, self.write_button),
                         pn.Tabs(("Export", self.preview), ("Diff", self.diff_pane),
                                 ("Bundle", self.bundle)),
                         sizing_mode="stretch_width")
