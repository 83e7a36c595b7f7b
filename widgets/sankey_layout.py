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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl
from bokeh.palettes import Category20

WIDTH, HEIGHT = 1000.0, 500.0
NODE_WIDTH = 15.0
NODE_PADDING = 10.0
RIBBON_STEPS = 16  # points per ribbon edge beyond the first; the curve is smooth at this canvas size
LABEL_GAP = 4.0

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


def empty_layout() -> dict[str, dict[str, list]]:
    return {"nodes": {k: [] for k in ("label", "requests", "x0", "x1", "y0", "y1", "color")},
            "ribbons": {k: [] for k in ("source", "target", "requests", "xs", "ys", "color")},
            "labels": {k: [] for k in ("x", "y", "text", "align")}}


def sankey_layout(edges: pl.DataFrame) -> dict[str, dict[str, list]]:
    """Column data of the node boxes, edge ribbons and node labels of ``edges`` (``source``,
    ``target``, ``requests``; acyclic).

    Colours follow the node order (Category20), ribbons take their source node's colour; labels sit
    inside the flow (right of a node, left of the last column's nodes) and carry the request count.
    """
    links = [(s, t, float(n)) for s, t, n in edges.select("source", "target", "requests").iter_rows() if n > 0]
    if not links:
        return empty_layout()
    nodes = _nodes(links)
    columns = _columns(nodes, links)
    scale = _place(columns, links)
    order = [node for column in columns for node in column]
    palette = Category20[20]
    colour = {node.label: palette[i % len(palette)] for i, node in enumerate(order)}
    xs, ys = _ribbons(nodes, links, len(columns), scale)
    last = len(columns) - 1
    return {
        "nodes": {"label": [n.label for n in order], "requests": [int(n.value) for n in order],
                  "x0": [_x(n.column, last) for n in order], "x1": [_x(n.column, last) + NODE_WIDTH for n in order],
                  "y0": [n.y0 for n in order], "y1": [n.y1 for n in order], "color": list(colour.values())},
        "ribbons": {"source": [s for s, _, _ in links], "target": [t for _, t, _ in links],
                    "requests": [int(n) for _, _, n in links], "xs": xs, "ys": ys,
                    "color": [colour[s] for s, _, _ in links]},
        "labels": {"x": [_x(n.column, last) - LABEL_GAP if n.column == last and last
                         else _x(n.column, last) + NODE_WIDTH + LABEL_GAP for n in order],
                   "y": [n.centre for n in order],
                   "text": [f"{n.label} - {int(n.value):,}" for n in order],
                   "align": ["right" if n.column == last and last else "left" for n in order]},
    }


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


def _x(column: int, last: int) -> float:
    return column * (WIDTH - NODE_WIDTH) / last if last else 0.0


def _ribbons(nodes: dict[str, _Node], links: list[tuple[str, str, float]], columns: int,
             scale: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One closed band per link, sent as float32 (half the bytes; exact to 1e-4 on this canvas)."""
    out_top, in_top = _offsets(links, nodes, scale)
    last = columns - 1
    xs, ys = [], []
    for index, (source, target, value) in enumerate(links):
        width = value * scale
        x0 = _x(nodes[source].column, last) + NODE_WIDTH
        x1 = _x(nodes[target].column, last)
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
