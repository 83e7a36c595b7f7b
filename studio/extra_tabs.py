"""Tabs built from the simulation dashboard, compare and explain widgets (written in parallel).

Each is imported on its own, so one still being written does not stop the studio; a missing one
is reported in its tab rather than hidden.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

import panel as pn

from widgets.state import PolicyState

# (tab title, module, class name)
EXTRA_TABS = (("Simulation", "widgets.simulation_dashboard", "SimulationDashboard"),
              ("Compare", "widgets.compare", "CompareView"),
              ("Explain", "widgets.explain", "ExplainView"))


def extra_tabs(state: PolicyState, **context: Any) -> list[tuple[str, Callable[[], pn.viewable.Viewable]]]:
    """(title, builder) per widget, built on the session's policy; an unavailable one says why in its tab."""
    return [(title, lambda m=module, n=name, t=title: _load(t, m, n, state, context))
            for title, module, name in EXTRA_TABS]


def _load(title: str, module: str, name: str, state: PolicyState, context: dict[str, Any]) -> pn.viewable.Viewable:
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        return pn.pane.Markdown(f"*{title} is not available yet ({exc}).*")
    return _build(cls, state, context)


def _build(cls: type, state: PolicyState, context: dict[str, Any]) -> pn.viewable.Viewable:
    """Construct with the parameters the widget declares, and keep its ``policy`` in step with the session."""
    declared = set(cls.param)
    kwargs = {k: v for k, v in context.items() if k in declared}
    if "state" in declared:
        kwargs["state"] = state
    widget = cls(**kwargs)
    if "policy" in declared and "state" not in declared:
        widget.policy = state.policy
        state.param.watch(lambda e: setattr(widget, "policy", e.new), "policy")
    return widget
