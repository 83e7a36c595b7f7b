"""Build one studio session: state, widgets, tabs, autosave and URL sync.

Every browser session gets its own :class:`PolicyState`; the store is shared. What the session
shows (policy, version, tab, finding filter, draft id) lives in the URL, so a link reopens it.
"""

from __future__ import annotations

from typing import Any, Callable

import panel as pn

from policies.api import PolicyError, Store
from widgets.checks import ChecksPanel, SimulationFeed
from widgets.dsl_editor import DslEditor
from widgets.export_view import ExportView
from widgets.markdown_text import md_text
from widgets.rule_builder import RuleBuilder
from widgets.state import PolicyState
from widgets.versions import VersionsView
from widgets.workspace import Workspace, open_sample_file, open_stored, sample_policies, show_notices
from widgets.yaml_editor import YamlEditor

from .config import StudioConfig, open_store
from .drafts import DraftKeeper
from .extra_tabs import extra_tabs
from .resources import prepare_session

DEFAULT_SAMPLE = "cost_optimised"
HEADER_STYLE = {"background": "#0b5cab", "color": "white", "padding": "10px 16px", "border-radius": "4px"}
TAB_NAMES = ("workspace", "builder", "yaml", "dsl", "checks", "export", "versions", "simulation", "compare",
             "explain", "topology", "models", "calibrate")


def open_initial(state: PolicyState, store: Store) -> None:
    """Open what the URL names (a stored version, else a sample, else the default sample), then reselect
    the decision the URL names once the policy (and any draft) is open."""
    name, version, wanted = state.policy_name, state.version, state.selected_decision
    stored = {p.name for p in store.list_policies()}
    if not (name in stored and open_stored(state, store, name, version or None)):
        samples = sample_policies()
        open_sample_file(state, samples[name] if name in samples else samples.get(DEFAULT_SAMPLE)
                         or next(iter(samples.values())))
    if wanted and state.policy is not None and wanted in {d.name for d in state.policy.decisions}:
        state.selected_decision = wanted


def toolbar(state: PolicyState) -> pn.viewable.Viewable:
    """Undo / redo across both views, and the session's notices.

    Plain watchers rather than ``.rx`` expressions: the reactive pipelines cost about as much as
    the rest of the first paint together, once per session.
    """
    undo = pn.widgets.Button(label="↶ Undo", css_classes=["undo"])
    redo = pn.widgets.Button(label="↷ Redo", css_classes=["redo"])
    undo.on_click(lambda _: state.undo())
    redo.on_click(lambda _: state.redo())
    title = pn.pane.Markdown(css_classes=["policy-title"])
    notice = pn.pane.Alert(alert_type="info", css_classes=["studio-notice"], sizing_mode="stretch_width")
    show_notices(state, notice)

    def show(*_: Any) -> None:
        undo.disabled, redo.disabled = not state.can_undo, not state.can_redo
        title.object = f"**{md_text(state.policy_name)}** {f'v{state.version}' if state.version else '(unsaved)'}"

    state.param.watch(show, ["can_undo", "can_redo", "policy_name", "version"])
    show()
    return pn.Column(pn.Row(title, undo, redo), notice, sizing_mode="stretch_width")


def versions_view(state: PolicyState, store: Store, author: str, drafts: DraftKeeper) -> VersionsView:
    """The Versions tab; saving there makes the session's autosaved draft obsolete."""
    view = VersionsView(state=state, store=store, author=author)
    view.param.watch(lambda _: drafts.discard(), "last_saved")
    return view


def build_app(config: StudioConfig | None = None, store: Store | None = None) -> pn.viewable.Viewable:
    """The whole studio for one session.

    Only the state, autosave and the visible tab are built here; every page (the Workspace
    included) is built on first view, so a session opened on one tab pays for that tab alone.
    """
    prepare_session()
    config = config or StudioConfig()
    store = store or open_store(config.db)
    state = PolicyState()
    state.sync_url()
    drafts = DraftKeeper(state, store)
    try:
        open_initial(state, store)
    except PolicyError as exc:
        state.message = exc.findings[0].human()
    feed = SimulationFeed()  # the Simulation tab's latest run, for the Checks tab's traffic shares
    pages: list[tuple[str, Callable[[], Any]]] = [
        ("Workspace", lambda: Workspace(state=state, store=store)), ("Builder", lambda: RuleBuilder(state=state)),
        ("YAML", lambda: YamlEditor(state=state)), ("DSL", lambda: DslEditor(state=state)),
        ("Checks", lambda: ChecksPanel(state=state, feed=feed)),
        ("Export", lambda: ExportView(state=state)),
        ("Versions", lambda: versions_view(state, store, config.author, drafts)),
        *extra_tabs(state, store=store, feed=feed)]
    tabs = lazy_tabs(pages, TAB_NAMES.index(state.tab) if state.tab in TAB_NAMES else 0)
    _link_tab(state, tabs)
    # A plain layout, not a template: templates load their own design system and delay the first paint.
    header = pn.pane.HTML("<h2 style='margin:0'>Routing Studio</h2>", styles=HEADER_STYLE, sizing_mode="stretch_width")
    return pn.Column(header, toolbar(state), tabs, sizing_mode="stretch_width", styles={"max-width": "1400px"})


def lazy_tabs(pages: list[tuple[str, Callable[[], Any]]], active: int = 0) -> pn.Tabs:
    """Tabs whose content is built on first view, so the first paint only pays for the visible page."""
    tabs = pn.Tabs(*[(title, pn.Column(sizing_mode="stretch_width")) for title, _ in pages],
                   active=active, dynamic=True, sizing_mode="stretch_width")
    built: set[int] = set()

    def ensure(index: int) -> None:
        if index not in built:
            built.add(index)
            tabs[index].objects = [pages[index][1]()]

    ensure(active)
    tabs.param.watch(lambda e: ensure(e.new), "active")
    return tabs


def _link_tab(state: PolicyState, tabs: pn.Tabs) -> None:
    """``state.tab`` (in the URL) and the active tab follow each other."""
    tabs.param.watch(lambda e: setattr(state, "tab", TAB_NAMES[e.new]), "active")
    state.param.watch(lambda e: e.new in TAB_NAMES and setattr(tabs, "active", TAB_NAMES.index(e.new)), "tab")
