"""Versions: save the policy as a numbered version, browse its history, diff and restore versions,
and see the simulation runs and traffic sets stored with it. All through ``policies.storage.Store``.
"""

from __future__ import annotations

import html
from typing import Any

import panel as pn
import param

from policies.api import PolicyError, Store

from .markdown_text import md_code_block, md_text
from .state import StateView


class VersionsView(StateView):
    """History of the current policy in the store."""

    store = param.ClassSelector(class_=Store, doc="The studio store.")
    author = param.String(default="studio", doc="Recorded as the author of saved versions.")
    last_saved = param.Integer(default=0, doc="Version number of the last save from this view.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.author_input = pn.widgets.TextInput.from_param(self.param.author, label="Author")
        self.message_input = pn.widgets.TextInput(label="Message", placeholder="what changed and why")
        self.save_button = pn.widgets.Button(label="Save version", color="primary", css_classes=["versions-save"])
        self.history = pn.pane.HTML(sizing_mode="stretch_width")
        self.a_select = pn.widgets.Select(label="Diff from", options=[])
        self.b_select = pn.widgets.Select(label="to", options=[])
        self.diff_pane = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["versions-diff"])
        self.restore_select = pn.widgets.Select(label="Restore version", options=[])
        self.restore_button = pn.widgets.Button(label="Restore")
        self.runs = pn.pane.HTML(sizing_mode="stretch_width")
        self.notice = pn.pane.Alert("", visible=False, sizing_mode="stretch_width", css_classes=["versions-notice"])
        self.save_button.on_click(lambda _: self.save(self.message_input.value))
        self.restore_button.on_click(lambda _: self.restore_select.value and self.restore(self.restore_select.value))
        for w in (self.a_select, self.b_select):
            w.param.watch(lambda _: self._show_diff(), "value")
        self.state.param.watch(lambda _: self.refresh(), ["policy_name", "version"])
        self.refresh()

    def save(self, message: str = "") -> int | None:
        """Store the current valid text as the next version; returns its number."""
        if self.state.policy is None:
            return None
        try:
            info = self.store.save_version(self.state.policy_name, self.state.valid_text, self.author, message)
        except PolicyError as exc:
            self._say(exc.findings[0].human(), "danger")
            return None
        self.state.mark_saved(info.version)
        self.last_saved = info.version
        self.message_input.value = ""
        self._say(f"Saved {info.policy_name} v{info.version}.", "success")
        return info.version

    def restore(self, version: int) -> bool:
        """Make ``version`` current again as a new version, and open it."""
        try:
            info = self.store.restore_version(self.state.policy_name, version, self.author)
            stored = self.store.get_version(self.state.policy_name, info.version)
        except PolicyError as exc:
            self._say(exc.findings[0].human(), "danger")
            return False
        self.state.open_text(stored.spec_yaml, stored.policy_name, stored.version)
        self.last_saved = info.version
        self._say(f"Restored v{version} as v{info.version}.", "success")
        return True

    def diff(self, a: int, b: int) -> str:
        return self.store.diff_versions(self.state.policy_name, a, b)

    def refresh(self) -> None:
        """Reload history and runs for the current policy."""
        name = self.state.policy_name
        try:
            versions = self.store.list_versions(name)
        except PolicyError:
            versions = []
        rows = "".join(f"<tr><td>v{v.version}</td><td>{v.created_at:%Y-%m-%d %H:%M:%S}</td><td>{html.escape(v.author)}</td>"
                       f"<td>{html.escape(v.message)}</td></tr>" for v in reversed(versions))
        self.history.object = (f"<table class='rs-table'><tr><th>version</th><th>saved (UTC)</th><th>author</th>"
                               f"<th>message</th></tr>{rows}</table>" if rows else "<p><em>Not saved yet.</em></p>")
        numbers = {f"v{v.version}": v.version for v in reversed(versions)}
        self.a_select.options = numbers
        self.b_select.options = numbers
        self.restore_select.options = numbers
        if len(versions) >= 2:
            self.a_select.value, self.b_select.value = versions[-2].version, versions[-1].version
        self._show_runs(name)
        self._show_diff()

    def _show_runs(self, name: str) -> None:
        runs = self.store.list_simulation_runs(name)
        sets = {t.id: t.name for t in self.store.list_traffic_sets()}
        rows = "".join(
            f"<tr><td>{r.id}</td><td>{'v' + str(r.version) if r.version else 'draft'}</td>"
            f"<td>{html.escape(sets.get(r.traffic_set_id, '—'))}</td><td>{r.created_at:%Y-%m-%d %H:%M}</td>"
            f"<td>{html.escape(_summary(r.summary))}</td></tr>" for r in reversed(runs))
        traffic = html.escape(", ".join(f"{t.name} ({t.row_count} rows, {t.format})" for t in self.store.list_traffic_sets()))
        self.runs.object = ((f"<table class='rs-table'><tr><th>run</th><th>version</th><th>traffic</th><th>when</th>"
                             f"<th>summary</th></tr>{rows}</table>" if rows else "<p><em>No simulation runs.</em></p>")
                            + f"<p>Registered traffic sets: {traffic or 'none'}</p>")

    def _show_diff(self) -> None:
        a, b = self.a_select.value, self.b_select.value
        if not a or not b:
            self.diff_pane.object = ""
            return
        text = self.diff(a, b)
        self.diff_pane.object = md_code_block(text, "diff") if text else f"*v{a} and v{b} are identical.*"

    def _say(self, message: str, kind: str) -> None:
        self.notice.param.update(object=md_text(message), alert_type=kind, visible=True)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            "### Save", pn.Row(self.author_input, self.message_input, self.save_button), self.notice,
            "### History", self.history, pn.Row(self.restore_select, self.restore_button),
            "### Diff", pn.Row(self.a_select, self.b_select), self.diff_pane,
            "### Simulation runs", self.runs, sizing_mode="stretch_width")


def _summary(summary: dict[str, Any], keys: int = 6) -> str:
    """The first few summary figures of a run, ``key=value`` separated by commas."""
    return ", ".join(f"{k}={v}" for k, v in list(summary.items())[:keys])
