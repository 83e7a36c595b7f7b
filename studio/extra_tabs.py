"""Tabs from the simulation dashboard, compare and explain widgets: built on the session's policy.

Those widgets take an engine ``Policy`` (not the studio's state), so the tab keeps their
``policy`` parameter in step with every accepted edit.
"""

from __future__ import annotations

from typing import Any, Callable

import panel as pn

from widgets.calibration import CalibrationPanel
from widgets.compare import CompareView
from widgets.explain import ExplainView
from widgets.models_view import ModelsView
from widgets.simulation_dashboard import SimulationDashboard
from widgets.simulators import Simulators
from widgets.state import PolicyState
from widgets.topology import TopologyView

EXTRA_TABS: tuple[tuple[str, type[pn.viewable.Viewer]], ...] = (
    ("Simulation", SimulationDashboard), ("Compare", CompareView), ("Explain", ExplainView),
    ("Topology", TopologyView))


def extra_tabs(state: PolicyState, **context: Any) -> list[tuple[str, Callable[[], pn.viewable.Viewer]]]:
    """(title, builder) per widget; ``context`` offers shared objects (e.g. ``store``) to those that declare them.

    The tabs share the session's :class:`Simulators`, so Compare and Explain reuse what a simulation
    extracted on the same traffic, and the Models tab's own models apply to all of them.
    """
    context = {"simulators": Simulators(), **context}
    return [*((title, lambda cls=cls: follow_policy(cls, state, context)) for title, cls in EXTRA_TABS),
            ("Models", lambda: ModelsView(state=state, store=context.get("store"), simulators=context["simulators"])),
            ("Calibrate", lambda: CalibrationPanel(state=state, simulators=context["simulators"]))]


def follow_policy(cls: type[pn.viewable.Viewer], state: PolicyState, context: dict[str, Any]) -> pn.viewable.Viewer:
    """Build ``cls`` on the current policy (plus the context it declares) and keep its policy current."""
    declared = set(cls.param)
    widget = cls(policy=state.policy, **{k: v for k, v in context.items() if k in declared})
    state.param.watch(lambda e: setattr(widget, "policy", e.new), "policy")
    feed = context.get("feed")  # the Checks tab weighs its findings by the Simulation tab's latest run
    if feed is not None and isinstance(widget, SimulationDashboard):
        widget.param.watch(lambda _: feed.param.update(result=widget.result, traffic=widget.traffic), "result")
    return widget
