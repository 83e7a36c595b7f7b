"""A holoviews Sankey of requests flowing between labelled stages, with clickable nodes.

Used twice: traffic → decision → model for one simulation, and v1 decision → v2 decision for a
comparison. Node labels carry a stage prefix so the same name in two stages stays two nodes;
clicking a node sets ``selected`` to ``(stage, value)`` for a drill-down.
"""

from __future__ import annotations

from typing import Any, Sequence

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the backend so the widget works without hv.extension)
import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

NONE_LABEL = "(default)"  # a null decision: no decision matched, the default model served
ROOT_STAGE = "traffic"


def node_label(stage: str, value: object) -> str:
    return f"{stage}: {NONE_LABEL if value is None else value}"


def parse_node(label: str) -> tuple[str, str | None]:
    """Inverse of :func:`node_label`; the default node gives ``None`` as its value."""
    stage, _, value = label.partition(": ")
    return stage, None if value == NONE_LABEL else value


def flow_edges(frame: pl.DataFrame, stages: Sequence[tuple[str, str]], *, root: bool) -> pl.DataFrame:
    """Edges ``source, target, requests`` between consecutive stages (``(label, column)`` pairs).

    With ``root`` a single ``traffic`` node feeds the first stage. Labels are prefixed per stage.
    """
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
    return pl.format("{}: {}", pl.lit(stage), pl.col(column).cast(pl.String).fill_null(NONE_LABEL))


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
        self._pane = pn.pane.HoloViews(self._plot(self._edges), sizing_mode="stretch_width", min_height=360)
        self.param.watch(self._replot, ["frame", "stages", "root"])

    def edges(self) -> pl.DataFrame:
        if self.frame is None:
            return flow_edges(pl.DataFrame(), [], root=False)
        return flow_edges(self.frame, self.stages, root=self.root)

    def _replot(self, *_events: Any) -> None:
        edges = self.edges()
        if not edges.equals(self._edges):  # a threshold move often leaves the flow as it was
            self._edges = edges
            self._pane.object = self._plot(edges)

    def _plot(self, edges: pl.DataFrame) -> hv.Element:
        if edges.height == 0:
            self._nodes = []
            return hv.Text(0, 0, "run a simulation to see the flow").opts(xaxis=None, yaxis=None, toolbar=None)
        sankey = hv.Sankey(edges.to_pandas(), kdims=["source", "target"], vdims=["requests"])
        self._nodes = [str(n) for n in sankey.nodes.data["index"]]
        sankey = sankey.opts(title=self.title, labels="index", label_position="inner", node_color="index",
                           edge_color="source", cmap="Category20", tools=["hover", "tap"], responsive=True,
                           min_height=360, show_values=True, node_padding=12)
        hv.streams.Selection1D(source=sankey).add_subscriber(self._on_tap)
        return sankey

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
