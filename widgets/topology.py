"""The policy as a graph: signals → decisions → plugins → models, weighted by a simulation, with the
path one prompt takes.

Why: the builder shows one decision at a time; this shows how the signals feed the decisions and the
decisions feed plugins and models, all at once. :func:`topology` is the data (nodes in four columns,
edges, and per edge the requests of a :class:`SimulationResult` that took it: in the studio the
Simulation tab's latest run, through the session's :class:`widgets.checks.SimulationFeed`); :class:`TopologyView`
draws it with plain Bokeh, built once and updated by replacing its sources' data (as the Sankey does,
see :mod:`widgets.sankey`), and highlights the path of a typed prompt from the engine's offline
explanation (:func:`policies.simulation.explain.explain_text`).

Edge weights: a signal → decision edge counts the requests that decision routed in which the leaf
held its side (fired, or did not fire under a NOT); every edge after the decision counts the requests
it routed (the last hop to a model, those that model served). A block (a ``fast_response`` plugin)
answers without a model, so its path ends at the plugin. The default route and passthrough requests
are decision nodes of their own (``(default)``, ``(passthrough)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Iterator

import numpy as np
import panel as pn
import param
import polars as pl
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure
from panel.viewable import Viewer

from policies.api import (DEFAULT_LABEL, PASSTHROUGH_LABEL, Decision, Explanation, Policy, SimulationResult, Simulator,
                          decision_label, explain_text, fired_column, leaf_key, sample_traffic, static_order)

from .bokeh_data import MARGIN, NAN, edit_models, replace_data
from .checks import SimulationFeed
from .palette import NEUTRAL, decision_colours, model_colours
from .simulators import Simulators

LAYERS = ("signal", "decision", "plugin", "model")
HEIGHT_PX = 460
CURVE_POINTS = 17


@dataclass(frozen=True)
class Node:
    id: str
    layer: str
    label: str
    colour: str


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    decision: str  # the decision label whose route the edge belongs to
    negated: bool = False  # a signal under a NOT: the decision needs it not to fire


@dataclass
class Topology:
    """Nodes (in column order, top to bottom) and edges; ``requests`` per edge once weighed."""

    nodes: list[Node]
    edges: list[Edge]
    requests: dict[tuple[str, str], int] = field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def path(self, explanation: Explanation) -> set[str]:
        """Node ids on the route ``explanation`` describes: the signals that held their side for the
        winning decision, the decision, its plugins and its model."""
        decision = f"decision:{explanation.label}"
        fired = {f"signal:{s['leaf']}": bool(s["fired"]) for s in explanation.signals}
        on = {decision}
        for edge in self.edges:
            if edge.target == decision and edge.source.startswith("signal:"):
                if fired.get(edge.source, False) != edge.negated:
                    on.add(edge.source)
            elif edge.source in on and not edge.source.startswith("signal:"):
                if not edge.target.startswith("model:") or edge.target == f"model:{explanation.model}":
                    on.add(edge.target)
        return on


def _signal_leaves(node: Any, negated: bool = False) -> Iterator[tuple[Any, bool]]:
    """Every leaf of a rule tree with whether an odd number of NOTs lies above it."""
    if node is None:
        return
    if node.is_leaf:
        yield node, negated
        return
    for child in node.children():
        yield from _signal_leaves(child, negated != (node.op == "NOT"))


def topology(policy: Policy, result: SimulationResult | None = None) -> Topology:
    """The top-level routing of ``policy`` as a graph, weighed by ``result`` when given."""
    routing = policy.routing
    decisions: list[Decision] = static_order(routing.all_decisions()) if routing else []
    labels = [d.name for d in decisions] + [DEFAULT_LABEL]
    frame = _labelled(result)
    if frame is not None and (frame["decision"] == PASSTHROUGH_LABEL).any():
        labels.append(PASSTHROUGH_LABEL)
    colours = decision_colours(labels)
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []

    def add(node_id: str, layer: str, label: str, colour: str) -> str:
        nodes.setdefault(node_id, Node(node_id, layer, label, colour))
        return node_id

    for d in decisions:
        for leaf, negated in _signal_leaves(d.rules):
            key = ":".join(leaf_key(leaf))
            edge = Edge(add(f"signal:{key}", "signal", key, NEUTRAL), f"decision:{d.name}", d.name, negated)
            if edge not in edges:
                edges.append(edge)
    for label in labels:
        hop = add(f"decision:{label}", "decision", label, colours[label])
        decision = next((d for d in decisions if d.name == label), None)
        for i, plugin in enumerate(decision.plugins or [] if decision else []):
            edges.append(Edge(hop, add(f"plugin:{label}:{i}", "plugin", plugin.type, colours[label]), label))
            hop = f"plugin:{label}:{i}"
        if decision is not None and decision.answers_without_model:
            continue
        models = (decision.models() if decision else [policy.default_model] if label == DEFAULT_LABEL
                  else _served(frame, label))
        edges += [Edge(hop, f"model:{m}", label) for m in models if m]
    for m in model_colours([e.target[6:] for e in edges if e.target.startswith("model:")]).items():
        add(f"model:{m[0]}", "model", *m)
    ordered = [n for layer in LAYERS for n in nodes.values() if n.layer == layer]
    return Topology(ordered, edges, _weigh(edges, frame) if frame is not None else {})


def _labelled(result: SimulationResult | None) -> pl.DataFrame | None:
    if result is None:
        return None
    return result.requests.with_columns(decision_label(result.requests.columns))


def _served(frame: pl.DataFrame | None, label: str) -> list[str]:
    """The models that served requests under ``label`` (the passthrough route's: those they named)."""
    if frame is None:
        return []
    return sorted(frame.filter(pl.col("decision") == label)["model"].drop_nulls().unique().to_list())


def _weigh(edges: list[Edge], frame: pl.DataFrame) -> dict[tuple[str, str], int]:
    routed = dict(frame.group_by("decision").len().iter_rows())
    served = {(d, m): n for d, m, n in frame.group_by("decision", "model").len().iter_rows()}
    out = {}
    for e in edges:
        if e.source.startswith("signal:"):
            column = fired_column(tuple(e.source[len("signal:"):].split(":", 1)))
            held = ~pl.col(column) if e.negated else pl.col(column)
            out[(e.source, e.target)] = (frame.filter((pl.col("decision") == e.decision) & held.fill_null(False)).height
                                         if column in frame.columns else 0)
        elif e.target.startswith("model:"):
            out[(e.source, e.target)] = served.get((e.decision, e.target[len("model:"):]), 0)
        else:
            out[(e.source, e.target)] = routed.get(e.decision, 0)
    return out


def layout(graph: Topology, highlighted: set[str] = frozenset()) -> dict[str, dict[str, list]]:
    """Column data for the figure: node points and labels (x = column, y = rank from the top) and
    edge curves (width by requests, dimmed off the highlighted path)."""
    columns = {layer: [n for n in graph.nodes if n.layer == layer] for layer in LAYERS}
    where: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(LAYERS):
        column = columns[layer]
        for i, node in enumerate(column):
            where[node.id] = (float(x), 1.0 - (i + 1) / (len(column) + 1))
    top = max(graph.requests.values(), default=0)
    t = np.linspace(0.0, 1.0, CURVE_POINTS)
    ease = t * t * (3.0 - 2.0 * t)
    lit = bool(highlighted)
    edges: dict[str, list] = {k: [] for k in ("xs", "ys", "source", "target", "requests", "width", "color", "alpha",
                                              "dash")}
    for e in graph.edges:
        (x0, y0), (x1, y1) = where[e.source], where[e.target]
        requests = graph.requests.get((e.source, e.target))
        on = e.source in highlighted and e.target in highlighted
        edges["xs"].append(list(x0 + (x1 - x0) * t))
        edges["ys"].append(list(y0 + (y1 - y0) * ease))
        edges["source"].append(graph.node(e.source).label)
        edges["target"].append(graph.node(e.target).label)
        edges["requests"].append("—" if requests is None else f"{requests:,}")
        edges["width"].append(1.5 + (8.0 * (requests or 0) / top if top else 0.0) + (2.0 if on else 0.0))
        edges["color"].append(graph.node(f"decision:{e.decision}").colour)
        edges["alpha"].append(0.95 if on else 0.12 if lit else 0.55)
        edges["dash"].append([4, 3] if e.negated else [])
    nodes = {"x": [where[n.id][0] for n in graph.nodes], "y": [where[n.id][1] for n in graph.nodes],
             "label": [n.label for n in graph.nodes], "layer": [n.layer for n in graph.nodes],
             "color": [n.colour for n in graph.nodes],
             "alpha": [1.0 if not lit or n.id in highlighted else 0.25 for n in graph.nodes],
             "size": [18 if n.id in highlighted else 12 for n in graph.nodes],
             "weight": ["bold" if n.id in highlighted else "normal" for n in graph.nodes]}
    return {"nodes": nodes, "edges": edges}


_BLANK: dict[str, dict[str, Any]] = {
    "nodes": {"x": NAN, "y": NAN, "label": "", "layer": "", "color": "#ffffff", "alpha": 0.0, "size": 0,
              "weight": "normal"},
    "edges": {"xs": [], "ys": [], "source": "", "target": "", "requests": "", "width": 0.0, "color": "#ffffff",
              "alpha": 0.0, "dash": []},
}


class TopologyView(Viewer):
    """The graph of ``policy`` (weighed by ``result``); a typed prompt highlights its path."""

    policy = param.ClassSelector(class_=Policy, allow_None=True)
    result = param.ClassSelector(class_=SimulationResult, allow_None=True,
                                 doc="The simulation whose requests weigh the edges (none: unweighed).")
    simulators = param.ClassSelector(class_=Simulators, allow_None=True,
                                     doc="The session's simulators: a prompt reuses their models and embeddings.")
    feed = param.ClassSelector(class_=SimulationFeed, allow_None=True,
                               doc="The session's latest simulation (the Simulation tab's): it weighs the edges.")
    prompt = param.String(default="", doc="The prompt whose path is highlighted ('' for none).")
    explanation = param.ClassSelector(class_=Explanation, allow_None=True, constant=True)
    highlighted = param.List(default=[], item_type=str, constant=True, doc="Node ids on the prompt's path.")
    error = param.String(default="")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.graph = self._graph()
        self._sources = {part: ColumnDataSource(data) for part, data in layout(self.graph).items()}
        self._figure = self._build_figure()
        self._text = pn.widgets.TextInput(placeholder="Type a prompt to see its path…", sizing_mode="stretch_width",
                                          css_classes=["topology-prompt"])
        self._show_path = pn.widgets.Button(label="Show path", color="primary", css_classes=["topology-show"])
        self._show_path.on_click(lambda _event: setattr(self, "prompt", self._text.value))
        self._text.param.watch(lambda e: setattr(self, "prompt", e.new), "value")  # Enter, or leaving the field
        self._weigh = pn.widgets.Button(label="Weigh by the traffic", css_classes=["topology-weigh"])
        self._weigh.on_click(lambda _event: self.weigh())
        self._summary = pn.pane.HTML(sizing_mode="stretch_width", css_classes=["topology-summary"])
        self.param.watch(self._rebuild, ["policy", "result"])
        self.param.watch(self._reweigh, "policy")
        if self.feed is not None:  # the Simulation tab's run weighs the edges as soon as there is one
            self.feed.param.watch(lambda e: e.new is not None and setattr(self, "result", e.new), "result")
            if self.feed.result is not None:
                self.result = self.feed.result
        self.param.watch(lambda _e: self._explain(), "prompt")
        self._explain()

    def weigh(self) -> bool:
        """Simulate the policy on the latest simulation's traffic (the bundled sample before any) and
        weigh the edges by it. The session's simulator of that traffic is reused (the Simulation tab's
        extracted scores), so no model runs again. False: see ``error``."""
        if self.policy is None:
            return False
        try:
            traffic = self.feed.traffic if self.feed is not None and self.feed.traffic is not None else sample_traffic()
            simulator = self.simulators.get(traffic) if self.simulators is not None else Simulator(traffic)
            self.result = simulator.simulate(self.policy)
        except Exception as exc:  # the UI boundary: report, keep the last weights
            self.error = str(exc)
            return False
        return True

    def _reweigh(self, _event: Any) -> None:
        """An edit changes the flows: weights shown are those of the policy shown, or none."""
        if self.result is not None and not self.weigh():
            self.result = None

    def _graph(self) -> Topology:
        return topology(self.policy, self.result) if self.policy is not None else Topology([], [])

    def _rebuild(self, *_events: Any) -> None:
        self.graph = self._graph()
        self._explain()

    def _explain(self) -> None:
        found, error = None, ""
        if self.policy is not None and self.prompt.strip():
            try:
                context = self.simulators.context if self.simulators is not None else None
                found = explain_text(self.policy, self.prompt, context=context)
            except Exception as exc:  # the UI boundary: a model that cannot load is a message, not a crash
                error = str(exc)
        path = sorted(self.graph.path(found)) if found is not None else []
        with param.edit_constant(self):
            self.param.update(explanation=found, highlighted=path)
        self.error = error
        self._summary.object = _summary_html(found, error)
        data = layout(self.graph, set(path))
        edit_models(lambda: [replace_data(self._sources[part], data[part], _BLANK[part]) for part in data])

    def _build_figure(self) -> Any:
        fig = figure(tools="pan,wheel_zoom,reset,save", toolbar_location="above", sizing_mode="stretch_width",
                     height=HEIGHT_PX, min_width=560, margin=MARGIN, x_range=(-0.3, 3.9), y_range=(-0.02, 1.1),
                     x_axis_type=None, y_axis_type=None)
        fig.grid.visible = False
        fig.outline_line_color = None
        for x, layer in enumerate(LAYERS):
            fig.text([x], [1.03], text=[f"{layer}s"], text_font_size="10pt", text_font_style="bold",
                     text_align="center", text_color="#57606a")
        lines = fig.multi_line("xs", "ys", source=self._sources["edges"], line_width="width", line_color="color",
                               line_alpha="alpha", line_dash="dash")
        points = fig.scatter("x", "y", source=self._sources["nodes"], size="size", fill_color="color",
                             line_color="black", fill_alpha="alpha", line_alpha="alpha")
        # whole names, never cut: right of each node, in the lane to the next column
        fig.text("x", "y", text="label", x_offset=10, text_baseline="middle", text_font_size="9pt",
                 text_font_style="weight", text_alpha="alpha", source=self._sources["nodes"])
        fig.add_tools(HoverTool(renderers=[points], tooltips=[("", "@layer @label")]),
                      HoverTool(renderers=[lines], tooltips=[("", "@source → @target"), ("requests", "@requests")],
                                line_policy="interp"))
        return fig

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(pn.Row(self._text, self._show_path, self._weigh, sizing_mode="stretch_width"), self._summary,
                         pn.pane.Bokeh(self._figure, sizing_mode="stretch_width", min_height=HEIGHT_PX),
                         sizing_mode="stretch_width")


def _summary_html(found: Explanation | None, error: str) -> str:
    if error:
        return f"<p class='topology-error'>⚠ {escape(error)}</p>"
    if found is None:
        return ("<p>Edge widths: requests of the latest simulation (the Simulation tab's, or <em>Weigh by the "
                "traffic</em>; none yet: equal widths). Dashed: the decision needs the signal <em>not</em> to fire.</p>")
    return (f"<p class='topology-path'>Routes to <b>{escape(found.label)}</b> → model <b>{escape(str(found.model))}</b>"
            f" (decided by {escape(str(found.route.decided_by))}); highlighted: the signals that held their side.</p>")
