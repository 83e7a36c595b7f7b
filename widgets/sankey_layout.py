"""Geometry of a layered Sankey: node boxes, ribbon polygons and labels, on a 1000 × 500 canvas.

Written for the dashboard's flows (traffic → decision → model, v1 → v2 decision), which are small
layered graphs laid out again on every threshold move. HoloViews' general d3-sankey port (with
its relaxation passes and per-dimension lookups) took about 20 ms per move of the ~90 ms the server
spends, and drew each ribbon with 104 points; this layout takes well under a millisecond and draws
each ribbon with ``2 * RIBBON_STEPS + 2`` points.

Columns are longest-path depths. Within a column, nodes are ordered by the flow-weighted mean
height of their sources (the first column by size), which keeps most ribbons from crossing;
a node is as tall as the larger of its in- and outflow; ribbons leave and enter a node in the
order of the nodes at their other end.

Labels are text of a fixed pixel size on a canvas drawn at any width, so they are placed for the
narrowest frame the figure allows (:class:`View`), where text spans the most canvas units: each
sits right of its node, in the lane before the next column (the last column's in a right margin
as wide as its longest label, up to a cap), is shortened with an ellipsis to fit its lane, and is
left out, larger nodes first, where it would cover a label already placed. Each label keeps its
full text and its box, so hovering a shortened label shows the whole name.

Colours come from the caller (``colour``: a node label to its colour, :mod:`widgets.palette` in the
widgets, so a decision has one colour in every chart); a ribbon takes its source's colour, or its
target's when the source is the neutral root.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np
import polars as pl

from .palette import NEUTRAL, decision_colours

WIDTH, HEIGHT = 1000.0, 500.0
X_RANGE, Y_RANGE = (-10.0, WIDTH + 10.0), (-10.0, HEIGHT + 10.0)  # the figure's ranges: the canvas and a rim
NODE_WIDTH = 15.0
NODE_PADDING = 10.0
RIBBON_STEPS = 16  # points per ribbon edge beyond the first; the curve is smooth at this canvas size
LABEL_GAP = 4.0
MAX_MARGIN = 0.35 * WIDTH  # the most the last column's labels take from the flow; longer ones are shortened
# 8pt text: a glyph's width in Chromium's Helvetica (Liberation Sans, as Arial) is 4.8-5.9 px for the
# lower case, digits and punctuation of decision and model names; a line is 10.7 px plus leading.
CHAR_PX, LINE_PX = 6.0, 13.0
ELLIPSIS = "…"

LABEL_COLUMNS = ("x", "y", "text", "full", "x0", "x1", "y0", "y1")  # drawn text, whole text, box (for hover)

_T = np.linspace(0.0, 1.0, RIBBON_STEPS + 1)
_EASE = _T * _T * (3.0 - 2.0 * _T)  # the cubic Bézier with control points at mid-x, as a y profile


@dataclass
class _Node:
    label: str
    column: int = 0
    inflow: float = 0.0
    outflow: float = 0.0
    y0: float = 0.0  # bottom (Bokeh's y grows upwards)
    y1: float = 0.0

    @property
    def value(self) -> float:
        return max(self.inflow, self.outflow)

    @property
    def centre(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class View:
    """The plot's frame, in pixels, at its narrowest (the figure's minimum width; its fixed height less
    title and toolbar): what a line of label text spans on the canvas."""

    width_px: float = 420.0
    height_px: float = 340.0

    @property
    def char_width(self) -> float:
        return CHAR_PX * (X_RANGE[1] - X_RANGE[0]) / self.width_px

    def chars(self, width: float) -> int:
        """How many characters fit in ``width`` canvas units."""
        return int(width / self.char_width + 1e-9)

    def label_box(self, x: float, y: float, text: str) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) of a label drawn from ``x`` and centred on ``y``, in canvas units."""
        half = LINE_PX * (Y_RANGE[1] - Y_RANGE[0]) / self.height_px / 2
        return x, x + len(text) * self.char_width, y - half, y + half


def empty_layout() -> dict[str, dict[str, list]]:
    return {"nodes": {k: [] for k in ("label", "requests", "x0", "x1", "y0", "y1", "color")},
            "ribbons": {k: [] for k in ("source", "target", "requests", "xs", "ys", "color")},
            "labels": {k: [] for k in LABEL_COLUMNS}}


def sankey_layout(edges: pl.DataFrame, view: View = View(), name: Callable[[str], str] = str,
                  colour: Callable[[str], str] | None = None) -> dict[str, dict[str, list]]:
    """Column data of the node boxes, edge ribbons and node labels of ``edges`` (``source``,
    ``target``, ``requests``; acyclic), with labels placed for ``view``.

    ``colour`` maps a node label to its colour (default: :func:`widgets.palette.decision_colours` of
    the shown names); a label reads ``name(node label) (requests)`` and is left-aligned (see the
    module's note).
    """
    links = [(s, t, float(n)) for s, t, n in edges.select("source", "target", "requests").iter_rows() if n > 0]
    if not links:
        return empty_layout()
    nodes = _nodes(links)
    columns = _columns(nodes, links)
    scale = _place(columns, links)
    order = [node for column in columns for node in column]
    names = {n.label: name(n.label) for n in order}
    if colour is None:
        by_name = decision_colours(names.values())
        colour = lambda label: by_name[names[label]]  # noqa: E731
    colours = {n.label: colour(n.label) for n in order}
    longest = max(len(_label_text(names[n.label], n.value)) for n in columns[-1])
    margin = min(MAX_MARGIN, longest * view.char_width + 2 * LABEL_GAP)
    lefts = [i * (WIDTH - margin - NODE_WIDTH) / (len(columns) - 1) for i in range(len(columns))]
    xs, ys = _ribbons(nodes, links, lefts, scale)
    return {
        "nodes": {"label": [n.label for n in order], "requests": [int(n.value) for n in order],
                  "x0": [lefts[n.column] for n in order], "x1": [lefts[n.column] + NODE_WIDTH for n in order],
                  "y0": [n.y0 for n in order], "y1": [n.y1 for n in order], "color": list(colours.values())},
        "ribbons": {"source": [s for s, _, _ in links], "target": [t for _, t, _ in links],
                    "requests": [int(n) for _, _, n in links], "xs": xs, "ys": ys,
                    "color": [colours[t] if colours[s] == NEUTRAL else colours[s] for s, t, _ in links]},
        "labels": _labels(columns, names, lefts, view),
    }


def _labels(columns: list[list[_Node]], names: dict[str, str], lefts: list[float],
            view: View) -> dict[str, list]:
    """Per column, larger nodes first: the label right of its node, shortened to end a gap before the
    next column (the canvas's edge), and left out where it would cover one already placed."""
    out: dict[str, list] = {k: [] for k in LABEL_COLUMNS}
    for column, left, end in zip(columns, lefts, [*lefts[1:], WIDTH]):
        x = left + NODE_WIDTH + LABEL_GAP
        room = view.chars(end - LABEL_GAP - x)
        placed: list[tuple[float, float]] = []
        for node in sorted(column, key=lambda n: -n.value):
            text = _label_text(names[node.label], node.value, room)
            _, _, bottom, top = view.label_box(x, node.centre, text)
            shift = max(0.0, Y_RANGE[0] - bottom) - max(0.0, top - Y_RANGE[1])  # kept inside the frame
            bottom, top = bottom + shift, top + shift
            if text and all(top <= low or bottom >= high for low, high in placed):
                placed.append((bottom, top))
                _, right, _, _ = view.label_box(x, node.centre, text)
                row = {"x": x, "y": (bottom + top) / 2, "text": text, "full": _label_text(names[node.label], node.value),
                       "x0": x, "x1": right, "y0": bottom, "y1": top}
                for key, value in row.items():
                    out[key].append(value)
    return out


def _label_text(name: str, requests: float, room: int | None = None) -> str:
    """``name (requests)``, cut to ``room`` characters with the count kept (``long_na… (12)``); '' where
    the name would keep fewer than three characters."""
    count = f" ({int(requests):,})"
    if room is None or len(name) + len(count) <= room:
        return name + count
    keep = room - len(count) - len(ELLIPSIS)
    return f"{name[:keep]}{ELLIPSIS}{count}" if keep >= 3 else ""


def _nodes(links: list[tuple[str, str, float]]) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    for source, target, value in links:
        nodes.setdefault(source, _Node(source)).outflow += value
        nodes.setdefault(target, _Node(target)).inflow += value
    return nodes


def _columns(nodes: dict[str, _Node], links: list[tuple[str, str, float]]) -> list[list[_Node]]:
    """Nodes by longest-path depth (sources first); raises on a cycle."""
    targets: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(nodes, 0)
    for source, target, _ in links:
        targets[source].append(target)
        indegree[target] += 1
    ready = [label for label, degree in indegree.items() if degree == 0]
    seen = 0
    while ready:
        label = ready.pop()
        seen += 1
        for target in targets[label]:
            nodes[target].column = max(nodes[target].column, nodes[label].column + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    if seen != len(nodes):
        raise ValueError("a Sankey's edges must not form a cycle")
    columns: list[list[_Node]] = [[] for _ in range(max(n.column for n in nodes.values()) + 1)]
    for node in nodes.values():
        columns[node.column].append(node)
    return columns


def _place(columns: list[list[_Node]], links: list[tuple[str, str, float]]) -> float:
    """Order each column and stack its nodes from the top; returns the scale (canvas units per
    request), one for all columns."""
    room = [HEIGHT - NODE_PADDING * (len(column) - 1) for column in columns]
    scale = min(r / sum(n.value for n in column) for r, column in zip(room, columns))
    sources: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for source, target, value in links:
        sources[target].append((source, value))
    placed: dict[str, _Node] = {}
    for index, column in enumerate(columns):
        if index == 0:
            column.sort(key=lambda n: (-n.value, n.label))
        else:
            column.sort(key=lambda n: (_mean_source_height(sources[n.label], placed), n.label))
        top = HEIGHT
        for node in column:
            node.y1, node.y0 = top, top - node.value * scale
            top = node.y0 - NODE_PADDING
            placed[node.label] = node
    return scale


def _mean_source_height(sources: list[tuple[str, float]], placed: dict[str, _Node]) -> float:
    """Descending: higher sources first (the column is stacked from the top)."""
    weight = sum(value for _, value in sources)
    return -sum(placed[label].centre * value for label, value in sources) / weight if weight else 0.0


def _ribbons(nodes: dict[str, _Node], links: list[tuple[str, str, float]], lefts: list[float],
             scale: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One closed band per link (``lefts``: each column's x), sent as float32 (half the bytes; exact
    to 1e-4 on this canvas)."""
    out_top, in_top = _offsets(links, nodes, scale)
    xs, ys = [], []
    for index, (source, target, value) in enumerate(links):
        width = value * scale
        x0 = lefts[nodes[source].column] + NODE_WIDTH
        x1 = lefts[nodes[target].column]
        top = out_top[index] + (in_top[index] - out_top[index]) * _EASE
        x = x0 + (x1 - x0) * _T
        xs.append(np.concatenate([x, x[::-1]]).astype(np.float32))
        ys.append(np.concatenate([top, (top - width)[::-1]]).astype(np.float32))
    return xs, ys


def _offsets(links: list[tuple[str, str, float]], nodes: dict[str, _Node],
             scale: float) -> tuple[list[float], list[float]]:
    """Top y of each link where it leaves its source and where it enters its target: a node's
    ribbons tile it from the top, ordered by the height of the node at their other end."""
    out_top = [0.0] * len(links)
    in_top = [0.0] * len(links)
    for end, other, tops in ((0, 1, out_top), (1, 0, in_top)):
        by_node: dict[str, list[int]] = defaultdict(list)
        for index, link in enumerate(links):
            by_node[link[end]].append(index)
        for label, indices in by_node.items():
            y = nodes[label].y1
            for index in sorted(indices, key=lambda i: (-nodes[links[i][other]].centre, links[i][other])):
                tops[index] = y
                y -= links[index][2] * scale
    return out_top, in_top
