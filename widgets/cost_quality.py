"""The cost/quality plot: the policy (and its as-written run) against sending everything to one model.

A plain Bokeh figure built once; each simulation only replaces its points' data, so a threshold
move sends the browser a few numbers instead of a new figure (and skips HoloViews' plot update,
which re-walks every Bokeh model of the page on the server: hundreds of ms per move).
"""

from __future__ import annotations

from typing import Any, Mapping

import panel as pn
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure
from panel.viewable import Viewer

from policies.simulation.report import baseline
from policies.simulation.result import SimulationResult

from .bokeh_data import NAN, edit_models, replace_data

COLOURS = {"single model": "#8c959f", "policy (as written)": "#0969da", "policy": "#cf222e"}
_BLANK = {"label": "", "total_cost": NAN, "mean_quality": NAN, "kind": "single model",
          "color": COLOURS["single model"]}


def cost_quality_points(result: SimulationResult, summary: Mapping[str, Any],
                        reference: Mapping[str, Any] | None) -> dict[str, list]:
    """Column data: one point per single-model baseline, then the as-written run and the policy."""
    points = [(f"all {m}", b["total_cost"], b["mean_quality"], "single model")
              for m in result.outcomes.models for b in [baseline(result.outcomes, m)]]
    points += [(name, s["total_cost_usd"], s["mean_quality"], name)
               for name, s in (("policy (as written)", reference), ("policy", summary)) if s is not None]
    points = [p for p in points if p[1] is not None and p[2] is not None]
    return {"label": [p[0] for p in points], "total_cost": [float(p[1]) for p in points],
            "mean_quality": [float(p[2]) for p in points], "kind": [p[3] for p in points],
            "color": [COLOURS[p[3]] for p in points]}


class CostQualityPlot(Viewer):
    """Scatter of :func:`cost_quality_points`; :meth:`show` updates it in place."""

    def __init__(self) -> None:
        super().__init__()
        self.source = ColumnDataSource({column: [] for column in _BLANK})
        fig = figure(title="Cost vs quality", x_axis_label="total cost (USD)", y_axis_label="mean quality",
                     tools="pan,wheel_zoom,box_zoom,reset,save", sizing_mode="stretch_width", min_height=300,
                     height=360)
        points = fig.scatter("total_cost", "mean_quality", source=self.source, size=11, color="color",
                             legend_field="kind")
        fig.text("total_cost", "mean_quality", text="label", source=self.source, text_font_size="8pt",
                 text_align="center", text_baseline="bottom", y_offset=-7, text_color="color")
        fig.add_tools(HoverTool(renderers=[points], tooltips=[("", "@label"), ("total cost", "@total_cost{$0,0.00}"),
                                                              ("mean quality", "@mean_quality{0.000}")]))
        fig.legend.location = "bottom_right"
        fig.x_range.range_padding = fig.y_range.range_padding = 0.15  # room for the labels at the edges
        self._pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width", min_height=300)

    def show(self, result: SimulationResult, summary: Mapping[str, Any],
             reference: Mapping[str, Any] | None) -> None:
        points = cost_quality_points(result, summary, reference)
        edit_models(lambda: replace_data(self.source, points, _BLANK))

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
