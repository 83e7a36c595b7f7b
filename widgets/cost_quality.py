"""The cost/quality plot: the policy (and its as-written run) against sending everything to one model.

A plain Bokeh figure built once; each simulation only replaces its points' data, so a threshold
move sends the browser a few numbers instead of a new figure (and skips HoloViews' plot update,
which re-walks every Bokeh model of the page on the server: hundreds of ms per move).

Each point is named by a legend entry under the plot, not by text beside it: the policy usually lies
next to the model it sends most requests to, and exactly on its as-written run until a threshold
moves, so labels drawn beside the points covered each other.
"""

from __future__ import annotations

from typing import Any, Mapping

import panel as pn
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem
from bokeh.plotting import figure
from panel.viewable import Viewer

from policies.api import SimulationResult, baseline

from .bokeh_data import MARGIN, NAN, edit_models, replace_data
from .palette import model_colours

# colour, marker, size, fill alpha: the as-written run is a ring, so the policy shows inside it where they meet
POLICY_STYLES = {"policy (as written)": ("#0969da", "circle", 17, 0.0), "policy": ("#cf222e", "circle", 10, 1.0)}
COLUMNS = ("label", "total_cost", "mean_quality", "color", "marker", "size", "alpha")
_BLANK = dict(zip(COLUMNS, ("", NAN, NAN, "#ffffff", "square", 0, 0.0)))


def cost_quality_points(result: SimulationResult, summary: Mapping[str, Any],
                        reference: Mapping[str, Any] | None) -> dict[str, list]:
    """Column data: one point per single-model baseline, then the as-written run and the policy."""
    colours = model_colours(result.outcomes.models)  # each model's colour in the Sankey too
    points = [(f"all {m}", b["total_cost"], b["mean_quality"], colours[m], "square", 10, 1.0)
              for m in result.outcomes.models for b in [baseline(result.outcomes, m)]]
    points += [(name, s["total_cost_usd"], s["mean_quality"], *POLICY_STYLES[name])
               for name, s in (("policy (as written)", reference), ("policy", summary)) if s is not None]
    points = [(label, float(cost), float(quality), *style) for label, cost, quality, *style in points
              if cost is not None and quality is not None]
    return {column: [p[i] for p in points] for i, column in enumerate(COLUMNS)}


class CostQualityPlot(Viewer):
    """Scatter of :func:`cost_quality_points`; :meth:`show` updates it in place."""

    def __init__(self) -> None:
        super().__init__()
        self.source = ColumnDataSource({column: [] for column in COLUMNS})
        # The toolbar above, beside the title (as the Sankey's): at the right it sat on the page's edge.
        fig = figure(title="Cost vs quality", x_axis_label="total cost (USD)", y_axis_label="mean quality",
                     tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="above",
                     sizing_mode="stretch_width", height=420, margin=MARGIN)
        self._points = fig.scatter("total_cost", "mean_quality", source=self.source, color="color", marker="marker",
                                   size="size", fill_alpha="alpha", line_width=2)
        fig.add_tools(HoverTool(renderers=[self._points], tooltips=[
            ("", "@label"), ("total cost", "@total_cost{$0,0.00}"), ("mean quality", "@mean_quality{0.000}")]))
        self.legend = Legend(location="center", ncols=2, border_line_alpha=0, label_text_font_size="9pt", spacing=2,
                             padding=4, margin=0)
        fig.add_layout(self.legend, "below")
        self._pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width")

    def show(self, result: SimulationResult, summary: Mapping[str, Any],
             reference: Mapping[str, Any] | None) -> None:
        points = cost_quality_points(result, summary, reference)
        edit_models(lambda: self._replace(points))

    def _replace(self, points: dict[str, list]) -> None:
        """New data; new legend entries only when the points' names change (rarely: not on a threshold move)."""
        replace_data(self.source, points, _BLANK)
        if [item.label.value for item in self.legend.items] != points["label"]:
            self.legend.items = [LegendItem(label=label, renderers=[self._points], index=i)
                                 for i, label in enumerate(points["label"])]

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
