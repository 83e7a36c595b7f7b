"""The Sankey geometry: flows are to scale, nothing overlaps, ribbons tile their nodes."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from widgets.sankey_layout import HEIGHT, NODE_PADDING, WIDTH, X_RANGE, Y_RANGE, View, sankey_layout

EDGES = pl.DataFrame({
    "source": ["traffic", "traffic", "traffic", "decision: a", "decision: b", "decision: b", "decision: c"],
    "target": ["decision: a", "decision: b", "decision: c", "model: x", "model: x", "model: y", "model: y"],
    "requests": [30, 60, 10, 30, 20, 40, 10]})


def boxes(layout: dict) -> dict[str, tuple[float, float, float, float, int]]:
    n = layout["nodes"]
    return {label: (x0, x1, y0, y1, r) for label, x0, x1, y0, y1, r
            in zip(n["label"], n["x0"], n["x1"], n["y0"], n["y1"], n["requests"])}


def test_nodes_are_columns_by_depth_and_heights_follow_the_flow() -> None:
    nodes = boxes(sankey_layout(EDGES))
    assert {label: r for label, (*_, r) in nodes.items()} == {
        "traffic": 100, "decision: a": 30, "decision: b": 60, "decision: c": 10, "model: x": 50, "model: y": 50}
    assert nodes["traffic"][0] == 0 and nodes["model: x"][1] < WIDTH  # the last column's labels take the rim
    assert nodes["decision: a"][0] == nodes["decision: b"][0] == nodes["decision: c"][0]
    assert nodes["traffic"][0] < nodes["decision: a"][0] < nodes["model: x"][0]
    per_request = {label: (y1 - y0) / r for label, (_, _, y0, y1, r) in nodes.items()}
    assert np.allclose(list(per_request.values()), per_request["traffic"])  # one scale for all columns
    # the fullest column (three decisions) fills the canvas exactly
    decisions = [nodes[f"decision: {d}"] for d in "abc"]
    assert sum(y1 - y0 for _, _, y0, y1, _ in decisions) + 2 * NODE_PADDING == pytest.approx(HEIGHT)


def test_nodes_of_a_column_do_not_overlap_and_keep_the_padding() -> None:
    nodes = boxes(sankey_layout(EDGES))
    for stage in ("decision", "model"):
        spans = sorted((y0, y1) for label, (_, _, y0, y1, _) in nodes.items() if label.startswith(stage))
        for (_, top_of_lower), (bottom_of_upper, _) in zip(spans, spans[1:]):
            assert bottom_of_upper - top_of_lower == pytest.approx(NODE_PADDING)
        assert all(y0 >= -1e-9 and y1 <= HEIGHT + 1e-9 for y0, y1 in spans)


def test_ribbons_are_as_wide_as_their_flow_and_tile_each_node() -> None:
    layout = sankey_layout(EDGES)
    nodes = boxes(layout)
    scale = (nodes["traffic"][3] - nodes["traffic"][2]) / 100
    ribbons = layout["ribbons"]
    leaving: dict[str, list[tuple[float, float]]] = {}
    for source, target, requests, xs, ys in zip(ribbons["source"], ribbons["target"], ribbons["requests"],
                                                ribbons["xs"], ribbons["ys"]):
        half = len(xs) // 2
        top, bottom = ys[:half], ys[half:][::-1]
        assert np.allclose(top - bottom, requests * scale, atol=1e-3)  # constant width along the ribbon
        assert xs[0] == pytest.approx(nodes[source][1]) and xs[half - 1] == pytest.approx(nodes[target][0])
        leaving.setdefault(source, []).append((float(bottom[0]), float(top[0])))
    for source, spans in leaving.items():  # a node's outgoing ribbons cover it exactly, without overlap
        spans.sort()
        assert spans[0][0] == pytest.approx(nodes[source][2], abs=1e-3)
        assert spans[-1][1] == pytest.approx(nodes[source][3], abs=1e-3)
        assert all(a[1] == pytest.approx(b[0], abs=1e-3) for a, b in zip(spans, spans[1:]))


def test_ordering_keeps_ribbons_from_crossing_when_it_can() -> None:
    """Each model sits level with the decisions that feed it: x (from a, b) above y (from b, c)."""
    nodes = boxes(sankey_layout(EDGES))
    centre = {label: (y0 + y1) / 2 for label, (_, _, y0, y1, _) in nodes.items()}
    assert centre["decision: b"] > centre["decision: a"] or centre["decision: a"] > centre["decision: c"]
    order = sorted(["decision: a", "decision: b", "decision: c"], key=lambda d: -centre[d])
    assert order.index("decision: c") in (0, 2)  # c (only into y) is at an edge, not between a and b
    feeds_x = np.mean([centre["decision: a"], centre["decision: b"]])
    feeds_y = np.mean([centre["decision: b"], centre["decision: c"]])
    assert (centre["model: x"] > centre["model: y"]) == (feeds_x > feeds_y)


# The sample's flow under cost_optimised: one large decision and model, small ones with long names.
CROWDED = pl.DataFrame({
    "source": ["traffic"] * 5 + ["decision: (default)", "decision: everyday_code", "decision: hard_stem_or_code",
                                 "decision: long_documents", "decision: hard_math"],
    "target": ["decision: (default)", "decision: everyday_code", "decision: hard_stem_or_code",
               "decision: long_documents", "decision: hard_math", "model: qwen3-8b", "model: qwen3-8b",
               "model: qwen3-32b", "model: gpt-4o-mini", "model: deepseek-r1"],
    "requests": [4837, 606, 387, 116, 54, 4837, 606, 387, 116, 54]})


def label_boxes(layout: dict, view: View) -> list[tuple[float, float, float, float]]:
    labels = layout["labels"]
    return [view.label_box(x, y, text) for x, y, text in zip(labels["x"], labels["y"], labels["text"])]


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two (left, right, bottom, top) boxes share area."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


@pytest.mark.parametrize("width_px", [250, 420, 900])
def test_labels_overlap_neither_each_other_nor_nodes_and_stay_on_the_canvas(width_px: float) -> None:
    view = View(width_px=width_px, height_px=340)
    layout = sankey_layout(CROWDED, view)
    labels = label_boxes(layout, view)
    n = layout["nodes"]
    nodes = list(zip(n["x0"], n["x1"], n["y0"], n["y1"]))
    assert len(labels) >= 3  # the three largest nodes' labels always fit
    assert not [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:] if overlap(a, b)]
    assert not [(a, b) for a in labels for b in nodes if overlap(a, b)]
    assert all(X_RANGE[0] <= left and right <= WIDTH and Y_RANGE[0] <= bottom and top <= Y_RANGE[1]
               for left, right, bottom, top in labels)


def test_labels_name_the_count_and_shorten_or_leave_out_what_does_not_fit() -> None:
    def shown(label: str) -> str:
        return label.partition(": ")[2] or label

    wide = sankey_layout(CROWDED, View(width_px=900, height_px=340), shown)["labels"]["text"]
    assert {"traffic (6,000)", "hard_stem_or_code (387)", "qwen3-8b (5,443)"} <= set(wide)
    narrow = sankey_layout(CROWDED, View(width_px=250, height_px=340), shown)["labels"]["text"]
    assert [text for text in narrow if text.startswith("hard_") and text.endswith("… (387)")], narrow  # count kept
    low = sankey_layout(CROWDED, View(width_px=900, height_px=120), shown)["labels"]["text"]
    assert len(low) < len(wide) and {"(default) (4,837)", "qwen3-8b (5,443)"} <= set(low)  # the largest stay


def test_empty_and_cyclic_flows() -> None:
    empty = sankey_layout(EDGES.head(0))
    assert empty["nodes"]["label"] == [] and empty["ribbons"]["xs"] == []
    with pytest.raises(ValueError, match="cycle"):
        sankey_layout(pl.DataFrame({"source": ["a", "b"], "target": ["b", "a"], "requests": [1, 1]}))
