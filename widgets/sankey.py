"""A Sankey of requests flowing between labelled stages, with clickable nodes.

Used twice: traffic → decision → model for one simulation, and v1 decision → v2 decision for a
comparison. Node labels carry a stage prefix so the same name in two stages stays two nodes (the
text drawn leaves it out: the column shows the stage, and hovering a node names it in full);
clicking a node sets ``selected`` to ``(stage, value)`` for a drill-down.

:mod:`widgets.sankey_layout` lays the flow out; the figure is plain Bokeh, built once per widget, and a
new flow only replaces the data of its three sources (nodes, ribbons, labels; see
:mod:`widgets.bokeh_data`).
Rebuilding the figure on every threshold move cost the browser about a second; streaming new
``hv.Sankey`` elements through a DynamicMap breaks Bokeh's graph renderer whenever the number of
nodes or edges changes, and re-runs HoloViews' whole plot update on the server.
"""

from __future__ import annotations

from typing import Any, Sequence

import panel as pn
import param
import polars as pl
from bokeh.models import ColumnDataSource, HoverTool, TapTool
from bokeh.plotting import figure
from panel.viewable import Viewer

from policies.api import decision_label

from .bokeh_data import MARGIN, NAN, edit_models, replace_data
from .palette import NEUTRAL, decision_colours, model_colours
from .sankey_layout import X_RANGE, Y_RANGE, View, sankey_layout

ROOT_STAGE = "traffic"
HEIGHT_PX = 420  # the frame is 345 px of it, under the title and toolbar (View assumes 340)
BORDER_PX = 5  # Bokeh's default border beside the frame
NONE = "(none)"  # a null value other than a decision's (e.g. no model); a decision reads as decision_label does


def node_label(stage: str, value: object) -> str:
    return f"{stage}: {NONE if value is None else value}"


def shown_name(label: str) -> str:
    """A node's value without its stage, which its column shows: what its label reads."""
    return label.partition(": ")[2] or label


def parse_node(label: str) -> tuple[str, str | None]:
    """Inverse of :func:`node_label`: a node's value as its frame holds it (``(none)``: null), so a drill-down
    on it finds its requests; a decision node gives its label (``(default)``, ``(passthrough)``)."""
    stage, _, value = label.partition(": ")
    return stage, None if value == NONE else value


def flow_edges(frame: pl.DataFrame, stages: Sequence[tuple[str, str]], *, root: bool) -> pl.DataFrame:
    """Edges ``source, target, requests`` between consecutive stages (``(label, column)`` pairs).

    With ``root`` a single ``traffic`` node feeds the first stage. Labels are prefixed per stage. A
    ``decision`` column is read as :func:`decision_label` names it (a simulation's own requests table).
    """
    if "decision" in frame.columns:
        frame = frame.with_columns(decision_label(frame.columns))
    parts = []
    if root:
        first_label, first_col = stages[0]
        counts = frame.group_by(first_col).len("requests")
        parts.append(counts.select(
            pl.lit(ROOT_STAGE).alias("source"),
            _labels(first_label, first_col).alias("target"),
            pl.col("requests")))
    for (a_label, a_col), (b_label, b_col) in zip(stages, stages[1:]):
        counts = frame.group_by([a_col, b_col]).len("requests")
        parts.append(counts.select(_labels(a_label, a_col).alias("source"),
                                   _labels(b_label, b_col).alias("target"), pl.col("requests")))
    if not parts:
        return pl.DataFrame(schema={"source": pl.String, "target": pl.String, "requests": pl.UInt32})
    return pl.concat(parts).sort(["source", "target"])


def _labels(stage: str, column: str) -> pl.Expr:
    return pl.format("{}: {}", pl.lit(stage), pl.col(column).cast(pl.String).fill_null(NONE))


_BLANK: dict[str, dict[str, Any]] = {  # a row that draws nothing, per source and column
    "nodes": {"label": "", "requests": 0, "x0": NAN, "x1": NAN, "y0": NAN, "y1": NAN, "color": "#ffffff"},
    "ribbons": {"source": "", "target": "", "requests": 0, "xs": [], "ys": [], "color": "#ffffff"},
    "labels": {"x": NAN, "y": NAN, "text": "", "full": "", "x0": NAN, "x1": NAN, "y0": NAN, "y1": NAN},
}


class FlowSankey(Viewer):
    """Sankey over ``frame`` grouped by ``stages``; a tapped node sets ``selected``."""

    frame = param.ClassSelector(class_=pl.DataFrame, allow_None=True, doc="One row per request.")
    stages = param.List(default=[("decision", "decision"), ("model", "model")], item_type=tuple,
                        doc="(label, column) per stage, left to right.")
    root = param.Boolean(default=True, doc="Start from a single 'traffic' node.")
    title = param.String(default="")
    selected = param.Tuple(default=None, length=2, allow_None=True, doc="(stage, value) of the tapped node.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._nodes: list[str] = []
        self._edges = self.edges()
        layout = self._layout()
        self._sources = {part: ColumnDataSource(data) for part, data in layout.items()}
        self._figure = self._build_figure()
        self._show(layout)
        # as tall as the figure: a shorter pane clipped the bottom nodes of Compare's Sankey in its row
        self._pane = pn.pane.Bokeh(self._figure, sizing_mode="stretch_width", min_height=HEIGHT_PX)
        self.param.watch(self._replot, ["frame", "stages", "root"])

    def edges(self) -> pl.DataFrame:
        if self.frame is None:
            return flow_edges(pl.DataFrame(), [], root=False)
        return flow_edges(self.frame, self.stages, root=self.root)

    def _replot(self, *_events: Any) -> None:
        edges = self.edges()
        if not edges.equals(self._edges):  # a threshold move often leaves the flow as it was
            self._edges = edges
            self._show(self._layout())

    def _layout(self) -> dict[str, dict[str, list]]:
        return sankey_layout(self._edges, name=shown_name, colour=self._colours())

    def _colours(self) -> Any:
        """Node label → colour: a decision stage's nodes by decision (:mod:`widgets.palette`, the same
        colour on both sides of a comparison and in every other chart), a model stage's by model."""
        models = {label for label, column in self.stages if column.startswith("model")}
        labels = set(self._edges["source"]) | set(self._edges["target"])
        split = [parse_node(label) for label in labels if label != ROOT_STAGE]
        by_decision = decision_colours(str(v) for stage, v in split if stage not in models)
        by_model = model_colours(str(v) for stage, v in split if stage in models)

        def colour(label: str) -> str:
            if label == ROOT_STAGE:
                return NEUTRAL
            stage, value = parse_node(label)
            return (by_model if stage in models else by_decision)[str(value)]

        return colour

    def _show(self, layout: dict[str, dict[str, list]]) -> None:
        """Replace the sources' data (the browser gets data patches, the figure stays)."""
        self._nodes = list(layout["nodes"]["label"])

        def change() -> None:
            for part, data in layout.items():
                replace_data(self._sources[part], data, _BLANK[part])
            self._figure.title.text = self.title if self._nodes else "run a simulation to see the flow"

        edit_models(change)

    def _build_figure(self) -> Any:
        fig = figure(title=self.title, tools="pan,wheel_zoom,reset,save", toolbar_location="above",
                     sizing_mode="stretch_width", height=HEIGHT_PX, min_width=int(View().width_px) + 2 * BORDER_PX,
                     min_border=BORDER_PX, margin=MARGIN, x_range=X_RANGE, y_range=Y_RANGE, x_axis_type=None,
                     y_axis_type=None)
        fig.grid.visible = False
        fig.outline_line_color = None
        ribbons = fig.patches("xs", "ys", source=self._sources["ribbons"], fill_color="color", fill_alpha=0.45,
                              line_alpha=0)
        boxes = fig.quad(left="x0", right="x1", bottom="y0", top="y1", source=self._sources["nodes"],
                         fill_color="color", line_color="black", nonselection_fill_alpha=0.35)
        fig.text("x", "y", text="text", text_baseline="middle", text_font_size="8pt", source=self._sources["labels"],
                 background_fill_color="white", background_fill_alpha=0.6)  # legible over the ribbons
        # an invisible box over each label: hovering a shortened one shows its whole text
        label_boxes = fig.quad(left="x0", right="x1", bottom="y0", top="y1", source=self._sources["labels"],
                               fill_alpha=0.0, line_alpha=0.0)
        fig.add_tools(HoverTool(renderers=[ribbons], tooltips=[("from", "@source"), ("to", "@target"),
                                                              ("requests", "@requests{0,0}")]),
                      HoverTool(renderers=[boxes], tooltips=[("node", "@label"), ("requests", "@requests{0,0}")]),
                      HoverTool(renderers=[label_boxes], tooltips=[("", "@full")]),
                      TapTool(renderers=[boxes]))
        self._sources["nodes"].selected.on_change("indices", lambda _attr, _old, new: self._on_tap(new))
        return fig

    def _on_tap(self, index: list[int]) -> None:
        if not index or index[0] >= len(self._nodes):
            return
        label = self._nodes[index[0]]
        if label == ROOT_STAGE:
            self.selected = None
            return
        self.selected = parse_node(label)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
