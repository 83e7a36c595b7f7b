"""Why one request routed where it did: signals vs thresholds, rule trees with truth values,
the ranking of matching decisions, and the nearest threshold change that would re-route it.

Every answer comes from the engine: leaf values from the simulation's ``fired::``/``conf::``
columns, trees and ranking from :func:`policies.evaluate.route` (the reference semantics), and
the nearest flip from re-simulating this one request with moved thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

from policies.columns import SEP, parse_column
from policies.evaluate import RouteResult, SignalHit, route
from policies.simulation.engine import Simulator
from policies.simulation.result import SimulationResult

from .threshold_sliders import ThresholdKnob, threshold_knobs, with_thresholds

FLIP_STEPS = 40  # grid points per threshold range before bisecting
FLIP_BISECT = 12


@dataclass(frozen=True)
class Flip:
    """Moving ``knob`` from its value to ``value`` routes the request to ``decision`` (None = default)."""

    knob: ThresholdKnob
    value: float
    decision: str | None

    @property
    def distance(self) -> float:
        return abs(self.value - self.knob.value)

    def describe(self) -> str:
        return (f"{self.knob.key} {self.knob.value:g} → {self.value:.3f} routes it to "
                f"'{self.decision or 'default model'}'")


def request_row(result: SimulationResult, request_id: str) -> dict[str, Any]:
    rows = result.requests.filter(pl.col("request_id") == request_id)
    if rows.height == 0:
        raise KeyError(f"request {request_id!r} is not in this simulation")
    return rows.row(0, named=True)


def signal_state(row: dict[str, Any]) -> dict[tuple[str, ...], SignalHit]:
    """The leaf outcomes the simulation computed for one request, as evaluate.route reads them."""
    state = {}
    for column, fired in row.items():
        if column.startswith("fired" + SEP):
            key = parse_column(column)[1:]
            state[key] = SignalHit(bool(fired), row.get(SEP.join(("conf",) + key)))
    return state


def explain_route(result: SimulationResult, request_id: str) -> RouteResult:
    """The reference evaluation of the request over the simulated signal values."""
    routing = next(p.routing for p in result.policy.profiles() if p.name == result.profile)
    return route(routing, signal_state(request_row(result, request_id)), result.policy.default_model, result.mode)


def signal_table(result: SimulationResult, request_id: str) -> pl.DataFrame:
    """One row per rule leaf: fired, confidence, its raw scores and the signal's threshold."""
    row = request_row(result, request_id)
    raw = result.extraction.raw.filter(pl.col("request_id") == request_id)
    raw_row = raw.row(0, named=True) if raw.height else {}
    thresholds: dict[tuple[str, str], list[str]] = {}
    for k in threshold_knobs(result.policy):
        thresholds.setdefault((k.collection, k.name), []).append(f"{k.field}={k.value:g}")
    routing = result.policy.routing
    out = []
    for key, hit in signal_state(row).items():
        leaf_type, name = key[0], key[1]
        signal = routing.find_signal(leaf_type, name) if routing else None
        scores = {parse_column(c)[3]: v for c, v in raw_row.items()
                  if c.startswith(SEP.join(("raw", leaf_type, name.split(":")[0], "")))}
        out.append({
            "leaf": ":".join(key), "fired": hit.fired, "confidence": hit.confidence,
            "raw scores": ", ".join(f"{p}={v:.3f}" if isinstance(v, float) else f"{p}={v}" for p, v in scores.items()),
            "thresholds": ", ".join(thresholds.get((signal.collection, signal.name), [])) if signal else "",
            "unavailable": result.unavailable.get(f"{leaf_type}:{name}", ""),
        })
    return pl.DataFrame(out, schema={"leaf": pl.String, "fired": pl.Boolean, "confidence": pl.Float64,
                                     "raw scores": pl.String, "thresholds": pl.String, "unavailable": pl.String})


def _one_request(simulator: Simulator, request_id: str) -> Simulator:
    """A simulator over this request alone, sharing the parent's models and text memo."""
    frame = simulator.frame.filter(pl.col("request_id") == request_id)
    candidates = simulator.candidates.filter(pl.col("request_id") == request_id)
    return Simulator(frame, candidates, context=simulator.context, seed=simulator.seed, mode=simulator.mode,
                     tokenizer_ratio=simulator.tokenizer_ratio)


def nearest_flip(simulator: Simulator, result: SimulationResult, request_id: str) -> Flip | None:
    """The smallest single-threshold move that changes this request's decision (None: none does)."""
    single = _one_request(simulator, request_id)
    base = result.policy
    current = request_row(result, request_id)["decision"]

    def decision_at(knob: ThresholdKnob, value: float) -> str | None:
        return single.simulate(with_thresholds(base, {knob.key: value}), result.profile).requests["decision"][0]

    best: Flip | None = None
    for knob in threshold_knobs(base):
        step = (knob.high - knob.low) / FLIP_STEPS
        grid = sorted((knob.low + i * step for i in range(FLIP_STEPS + 1)), key=lambda v: abs(v - knob.value))
        for value in grid:
            if best is not None and abs(value - knob.value) >= best.distance:
                break
            if (other := decision_at(knob, value)) != current:
                near, far = knob.value, value
                for _ in range(FLIP_BISECT):  # shrink to the boundary between `near` (same) and `far` (flipped)
                    mid = (near + far) / 2
                    flipped = decision_at(knob, mid)
                    if flipped != current:
                        far, other = mid, flipped
                    else:
                        near = mid
                best = Flip(knob, far, other)
                break
    return best


def _tree_html(route_result: RouteResult) -> str:
    blocks = []
    for name, tree in route_result.trees.items():
        colour = "#1a7f37" if tree.value else "#57606a"
        blocks.append(f'<div class="rs-tree"><b style="color:{colour}">{escape(name)}</b>'
                      f'<pre style="margin:2px 0 8px 0">{escape(tree.describe())}</pre></div>')
    return "".join(blocks) or "<em>No decisions.</em>"


def _ranking_frame(route_result: RouteResult) -> pl.DataFrame:
    return pl.DataFrame([{"rank": i + 1, "decision": c.decision.name, "tier": c.decision.effective_tier,
                          "priority": c.decision.effective_priority, "confidence": c.confidence}
                         for i, c in enumerate(route_result.ranked)],
                        schema={"rank": pl.Int64, "decision": pl.String, "tier": pl.Int64, "priority": pl.Int64,
                                "confidence": pl.Float64})


class RequestExplanation(Viewer):
    """Explains ``request_id`` within ``result``; give ``simulator`` to also search the nearest flip."""

    result = param.ClassSelector(class_=SimulationResult, allow_None=True)
    simulator = param.ClassSelector(class_=Simulator, allow_None=True, doc="Needed for the nearest flip.")
    request_id = param.String(default=None, allow_None=True)
    prompt = param.String(default="", doc="The request's text, shown for context.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._head = pn.pane.Markdown(sizing_mode="stretch_width")
        self._signals = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width",
                                             layout="fit_data_stretch")
        self._trees = pn.pane.HTML(sizing_mode="stretch_width")
        self._ranking = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width")
        self._flip = pn.pane.Markdown(sizing_mode="stretch_width")
        self.param.watch(self._refresh, ["result", "request_id", "simulator", "prompt"])
        self._refresh()

    def flip(self) -> Flip | None:
        if self.simulator is None or self.result is None or not self.request_id:
            return None
        return nearest_flip(self.simulator, self.result, self.request_id)

    def _refresh(self, *_events: Any) -> None:
        visible = self.result is not None and bool(self.request_id)
        for part in (self._signals, self._trees, self._ranking, self._flip):
            part.visible = visible
        if not visible:
            self._head.object = "Click a request to see why it routed where it did."
            return
        try:
            routed = explain_route(self.result, self.request_id)
        except KeyError as exc:
            self._head.object = f"**{escape(str(exc.args[0]))}**"
            for part in (self._signals, self._trees, self._ranking, self._flip):
                part.visible = False
            return
        row = request_row(self.result, self.request_id)
        text = f"\n\n> {escape(self.prompt[:400])}" if self.prompt else ""
        self._head.object = (f"### Request `{self.request_id}`{text}\n\nDecision **{row['decision'] or 'default'}** "
                             f"→ model **{row['model']}** (decided by {routed.decided_by})")
        self._signals.value = signal_table(self.result, self.request_id).to_pandas()
        self._trees.object = _tree_html(routed)
        self._ranking.value = _ranking_frame(routed).to_pandas()
        if self.simulator is None:
            self._flip.object = "_Nearest flip needs the simulator that produced this result._"
        else:
            found = self.flip()
            self._flip.object = ("**Nearest flip:** " + found.describe() if found
                                 else "**Nearest flip:** no single threshold change re-routes this request.")

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self._head, "#### Signals vs thresholds", self._signals, "#### Rule trees",
                         self._trees, "#### Ranking of matching decisions", self._ranking, self._flip,
                         sizing_mode="stretch_width")
