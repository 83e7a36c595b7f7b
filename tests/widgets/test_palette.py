"""One colour per decision in every chart: by name, stable across sets, distinct within one."""

from __future__ import annotations

import polars as pl

from widgets.palette import DECISION_PALETTE, FIXED, decision_colours, model_colours
from widgets.sankey import FlowSankey


def test_a_name_keeps_its_colour_whatever_else_is_drawn() -> None:
    # the first name in sorted order always gets its preferred slot, so it cannot move
    assert decision_colours(["alpha", "zeta"])["alpha"] == decision_colours(["alpha", "beta", "gamma"])["alpha"]
    assert decision_colours(["code_help"]) == decision_colours(["code_help"])


def test_names_of_one_chart_never_share_a_colour_while_the_palette_lasts() -> None:
    names = [f"decision_{i}" for i in range(len(DECISION_PALETTE))]
    colours = decision_colours(names)
    assert len(set(colours.values())) == len(names)
    assert not set(colours.values()) & set(FIXED.values())  # the routes that are no decision stay grey


def test_default_and_passthrough_have_fixed_greys() -> None:
    colours = decision_colours(["(default)", "(passthrough)", "reasoning"])
    assert colours["(default)"] == FIXED["(default)"] and colours["(passthrough)"] == FIXED["(passthrough)"]
    assert model_colours(["gpt-4o", "qwen3-8b"])["gpt-4o"] != model_colours(["gpt-4o", "qwen3-8b"])["qwen3-8b"]


def test_compare_sankey_colours_a_decision_alike_on_both_sides() -> None:
    pairs = pl.DataFrame({"decision_a": ["reasoning", "reasoning", "business", "(default)"],
                          "decision_b": ["business", "reasoning", "business", "(default)"]})  # labelled, as compare() gives them
    sankey = FlowSankey(frame=pairs, stages=[("A", "decision_a"), ("B", "decision_b")], root=False)
    nodes = sankey._sources["nodes"].data
    colour = dict(zip(nodes["label"], nodes["color"]))
    expected = decision_colours(["reasoning", "business", "(default)"])
    for name in ("reasoning", "business", "(default)"):
        assert colour[f"A: {name}"] == colour[f"B: {name}"] == expected[name]
    assert colour["A: reasoning"] != colour["A: business"]


def test_dashboard_sankey_colours_models_by_model_and_labels_keep_their_full_text() -> None:
    frame = pl.DataFrame({"decision": ["a_decision_with_a_rather_long_name_indeed"] * 5 + ["b"] * 5,
                          "model": ["gpt-4o"] * 5 + ["qwen3-8b"] * 5})
    sankey = FlowSankey(frame=frame)
    nodes = sankey._sources["nodes"].data
    colour = dict(zip(nodes["label"], nodes["color"]))
    assert colour["model: gpt-4o"] == model_colours(["gpt-4o", "qwen3-8b"])["gpt-4o"]
    labels = sankey._sources["labels"].data
    shown = {full: text for full, text in zip(labels["full"], labels["text"]) if full}
    long = "a_decision_with_a_rather_long_name_indeed (5)"
    assert long in shown and shown[long] != long and shown[long].endswith("… (5)")  # cut, yet whole on hover
