"""Policy workspace: open a policy from any source and see what it declares and in which order it routes.

Sources: the bundled sample policies, an uploaded file, a path on the server, or a stored version.
The loader detects the layout (canonical, vLLM SR repository, legacy, Kubernetes pair). Decisions
are listed in the router's precedence order (``policies.ranking.static_order``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import panel as pn
import param

import sample_data

from policies.api import Decision, Policy, PolicyError, Store, read_file, static_order

from .markdown_text import md_text
from .state import PolicyState, StateView

SAMPLES_DIR = sample_data.policies_dir()
HOME_TAB = "workspace"  # the studio's first tab (studio.app.TAB_NAMES[0])


def sample_policies(folder: Path = SAMPLES_DIR) -> dict[str, Path]:
    """Sample policy files by name (file stem)."""
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def signal_usage(policy: Policy) -> list[tuple[str, str, list[str]]]:
    """``(leaf type, signal name, decisions using it)`` for every declared signal, grouped by type."""
    routing = policy.routing
    if routing is None:
        return []
    users: dict[int, list[str]] = {}
    for decision in routing.all_decisions():
        for _, leaf in decision.rules.leaves() if decision.rules else []:
            signal = routing.find_signal(str(leaf.type), str(leaf.name)) if leaf.type and leaf.name else None
            if signal is not None and decision.name not in users.setdefault(id(signal), []):
                users[id(signal)].append(decision.name)
    rows = [(type(signal).leaf_type or collection, signal.name, users.get(id(signal), []))
            for collection, signal in routing.all_signals()]
    return sorted(rows, key=lambda r: r[0])


def open_sample_file(state: PolicyState, path: Path) -> bool:
    """Open a sample policy file into ``state``; the file stem names the policy."""
    raw, _ = read_file(path)
    return state.open_text(raw, path.stem)


def open_stored(state: PolicyState, store: Store, name: str, version: int | None = None) -> bool:
    """Open a stored version (the latest when ``version`` is None); a missing one is reported in ``state``."""
    try:
        stored = store.get_version(name, version)
    except PolicyError as exc:
        state.message = exc.findings[0].human()
        return False
    return state.open_text(stored.spec_yaml, name, stored.version)


def show_notices(state: PolicyState, pane: pn.pane.Alert, home: str | None = None) -> None:
    """Show ``state.message`` in ``pane`` on the tab it was raised on only, so "Repair applied…" stays on
    Checks. ``home``: the one tab ``pane`` lives on (None: a pane shown on every tab, the toolbar's).
    A widget used alone (no tab: ``state.tab`` is empty) counts as the Workspace, the studio's first tab."""
    raised = {"tab": state.tab or HOME_TAB}

    def show(*events: param.parameterized.Event) -> None:
        here = state.tab or HOME_TAB
        if any(e.name == "message" for e in events):
            raised["tab"] = here
        pane.param.update(object=md_text(state.message),
                          visible=bool(state.message) and raised["tab"] == here and home in (None, here))

    state.param.watch(show, ["message", "tab"])
    show()


def precedence(policy: Policy) -> list[Decision]:
    """The top-level decisions in the order the router tries them."""
    return static_order(policy.routing.all_decisions()) if policy.routing else []


def _signals_html(policy: Policy) -> str:
    rows, last = [], None
    for kind, name, used_by in signal_usage(policy):
        head = f"<th>{html.escape(kind)}</th>" if kind != last else "<td></td>"
        last = kind
        used = ", ".join(html.escape(u) for u in used_by) or "<em>unused</em>"
        rows.append(f"<tr>{head}<td><code>{html.escape(name)}</code></td><td>{used}</td></tr>")
    if not rows:
        return "<p><em>No signals declared.</em></p>"
    return ("<table class='rs-table rs-signals'><tr><th>type</th><th>signal</th><th>used by</th></tr>"
            + "".join(rows) + "</table>")


def _decisions_html(policy: Policy, selected: str, highlighted: list[str]) -> str:
    rows = []
    for rank, d in enumerate(precedence(policy), 1):
        cls = "rs-selected" if d.name == selected else "rs-highlight" if d.name in highlighted else ""
        rule = "catch-all" if d.is_catch_all else d.rules.describe()
        rows.append(f"<tr class='{cls}'><td>{rank}</td><td><b>{html.escape(d.name)}</b></td>"
                    f"<td>{d.effective_tier}</td><td>{d.effective_priority}</td>"
                    f"<td>{html.escape(rule)}</td><td>{html.escape(', '.join(d.models()))}</td></tr>")
    if not rows:
        return "<p><em>No decisions: every request goes to the default model.</em></p>"
    return ("<table class='rs-table rs-decisions'><tr><th>#</th><th>decision</th><th>tier</th><th>priority</th>"
            "<th>rule</th><th>models</th></tr>" + "".join(rows) + "</table>")


TABLE_CSS = """
.rs-table {border-collapse: collapse; font-size: 13px; width: 100%;}
.rs-table th, .rs-table td {border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top;}
.rs-table tr.rs-selected {background: #dbeafe;}
.rs-table tr.rs-highlight {background: #fde68a;}
"""


class Workspace(StateView):
    """Open a policy and overview its signals (with their users) and decisions (in precedence order)."""

    store = param.ClassSelector(class_=Store, allow_None=True, doc="Where stored versions come from (optional).")
    samples_dir = param.Path(default=SAMPLES_DIR, doc="Folder of sample policy files.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.samples = sample_policies(Path(self.samples_dir))
        self.sample_select = pn.widgets.Select(label="Sample policy", options=[""] + list(self.samples))
        self.upload = pn.widgets.FileInput(accept=".yaml,.yml", label="Upload")
        self.path_input = pn.widgets.TextInput(label="File path on the server", placeholder="/path/to/config.yaml")
        self.open_path_button = pn.widgets.Button(label="Open file", color="primary")
        self.stored_select = pn.widgets.Select(label="Stored policy", options=[])
        self.version_select = pn.widgets.Select(label="Version", options=[])
        self.open_version_button = pn.widgets.Button(label="Open version")
        self.decision_select = pn.widgets.Select(label="Select decision", options=[])
        self.notice = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["workspace-notice"],
                                    sizing_mode="stretch_width")
        self.signals_pane = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[TABLE_CSS])
        self.decisions_pane = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[TABLE_CSS])
        self.sample_select.param.watch(self._on_sample, "value")
        self.upload.param.watch(self._on_upload, "value")
        self.open_path_button.on_click(lambda _: self.open_path(self.path_input.value))
        self.stored_select.param.watch(lambda e: self._list_versions(), "value")
        self.open_version_button.on_click(lambda _: self._open_selected_version())
        self.decision_select.param.watch(self._select_decision, "value")
        self.state.param.watch(self._refresh, ["policy", "selected_decision", "highlighted"])
        show_notices(self.state, self.notice, HOME_TAB)
        self.state.param.watch(lambda _: self.refresh_store(), "version")  # a save or restore adds a version
        self.refresh_store()
        self._refresh()

    # -- sources --------------------------------------------------------------------------
    def open_sample(self, name: str) -> bool:
        return open_sample_file(self.state, self.samples[name])

    def open_path(self, path: str) -> bool:
        """Open a file on the server; a missing or unreadable file is reported, nothing else changes."""
        path = path.strip()
        try:
            raw, _ = read_file(path)
        except PolicyError as exc:
            self.state.message = exc.findings[0].human()
            return False
        return self.state.open_text(raw, Path(path).stem or "policy")

    def open_upload(self, data: bytes, filename: str) -> bool:
        return self.state.open_text(data, Path(filename or "upload.yaml").stem)

    def open_version(self, name: str, version: int | None = None) -> bool:
        return self.store is not None and open_stored(self.state, self.store, name, version)

    def refresh_store(self) -> None:
        """Reload the list of stored policies (after a save or restore)."""
        if self.store is None:
            return
        names = [p.name for p in self.store.list_policies()]
        self.stored_select.options = [""] + names
        self._list_versions()

    # -- callbacks ------------------------------------------------------------------------
    def _on_sample(self, event: param.parameterized.Event) -> None:
        if event.new and event.new != self.state.policy_name:
            self.open_sample(event.new)

    def _on_upload(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.open_upload(event.new, self.upload.filename or "upload.yaml")

    def _list_versions(self) -> None:
        name = self.stored_select.value
        if self.store is None or not name:
            self.version_select.options = []
            return
        versions = self.store.list_versions(name)
        self.version_select.options = {f"v{v.version} — {v.message or 'no message'} ({v.author})": v.version
                                       for v in reversed(versions)}

    def _open_selected_version(self) -> None:
        if self.stored_select.value and self.version_select.value:
            self.open_version(self.stored_select.value, self.version_select.value)

    def _select_decision(self, event: param.parameterized.Event) -> None:
        if event.new is not None and event.new != self.state.selected_decision:
            self.state.selected_decision = event.new

    def _refresh(self, *_: Any) -> None:
        policy = self.state.policy
        self.sample_select.value = self.state.policy_name if self.state.policy_name in self.samples else ""
        if policy is None:
            self.signals_pane.object = "<p><em>No policy open.</em></p>"
            self.decisions_pane.object = ""
            return
        self.signals_pane.object = _signals_html(policy)
        self.decisions_pane.object = _decisions_html(policy, self.state.selected_decision, self.state.highlighted)
        self.decision_select.options = [""] + [d.name for d in precedence(policy)]
        self.decision_select.value = self.state.selected_decision

    def __panel__(self) -> pn.viewable.Viewable:
        sources = pn.Column(
            self.sample_select,
            pn.pane.Markdown("or upload a file (any supported layout: canonical, vLLM SR, Kubernetes pair)"),
            self.upload,
            pn.Row(self.path_input, self.open_path_button),
            *([pn.Row(self.stored_select, self.version_select, self.open_version_button)] if self.store else []),
        )
        return pn.Column(
            "### Open a policy", sources, self.notice,
            "### Decisions in precedence order", self.decision_select, self.decisions_pane,
            "### Signals by type", self.signals_pane,
            sizing_mode="stretch_width",
        )
