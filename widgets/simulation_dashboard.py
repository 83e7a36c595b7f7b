"""Simulation dashboard: replay traffic through a policy and tune its thresholds live.

Run = build a :class:`Simulator` for the chosen traffic (cached per traffic set, so raw signal
scores and counterfactual outcomes are computed once; in the studio taken from the session's
:class:`.simulators.Simulators`, so Compare reuses them) and simulate the policy. Moving a
threshold slider re-simulates the tuned copy over those cached scores; the cards show deltas
against the run at the policy's own thresholds. Every number drills down to its requests, and a
request opens its explanation. A failed run shows its message and keeps the last good result.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Generator

import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

from policies.api import (NeuralContext, ParquetScores, Policy, SimulationResult, Simulator, TrafficSet,
                          decision_label, default_scores_root, served_by, simulate_traffic_on_ray)

from .cost_quality import CostQualityPlot
from .drilldown import PREVIEW, Drilldown, prompt_preview
from .explain import RequestExplanation
from .markdown_text import md_text
from .metric_cards import MetricCards
from .sankey import FlowSankey
from .simulators import Simulators
from .table_data import FAST_ROWS, TableData, as_percent, tabulator_number, tabulator_percent
from .threshold_sliders import ThresholdSliders
from .traffic_picker import TrafficPicker, describe_failure

# The model shares column: the passthrough row lists every model the traffic named (five in the sample, some
# 400 px), which pushed the table's last seven columns out of view at 1280 px; cut short, whole on hover.
MODELS_PX = 130
DECISION_COLUMNS = ["decision", "hits", "hit_rate", "models", "total_cost", "cost_share", "mean_cost",
                    "p50_latency_ms", "p95_latency_ms", "mean_quality", "quality_low", "quality_high",
                    "quality_coverage"]

Stage = tuple[int, str, Callable[[], Any]]  # (progress %, label, work)


def decision_table(result: SimulationResult) -> pl.DataFrame:
    """The engine's per-decision metrics with the model shares as readable text."""
    table = result.per_decision()
    models = pl.col("models").list.eval(
        pl.format("{} ({})", pl.element().struct.field("model"), pl.element().struct.field("count"))
    ).list.join(", ")
    return table.with_columns(models.fill_null("")).select([c for c in DECISION_COLUMNS if c in table.columns])


def prompt_table(traffic: TrafficSet) -> pl.DataFrame:
    """Each request's prompt and its one-line preview: built once per traffic set, joined on every move."""
    return traffic.requests.select("request_id", "prompt").unique("request_id", keep="first") \
        .with_columns(prompt_preview(pl.col("prompt")).alias(PREVIEW))


def with_prompts(result: SimulationResult, prompts: pl.DataFrame) -> pl.DataFrame:
    """Per-request outcomes plus the prompt text (``prompts``: :func:`prompt_table`), for drill-downs;
    ``decision`` as the per-decision table names it (so its rows, the flow's nodes and the drill-down's
    filters are the same values) and ``model`` naming who answered, so the flow and the drill-down show
    passthrough requests and the router's own answers as such."""
    requests = result.requests
    core = requests.select("request_id", decision_label(requests.columns), served_by(), "cost_usd", "latency_ms",
                           "quality")
    return core.join(prompts, on="request_id", how="left", maintain_order="left")


class SimulationDashboard(Viewer):
    """Pick traffic, simulate ``policy``, tune thresholds, drill down and explain."""

    policy = param.ClassSelector(class_=Policy, allow_None=True, doc="The policy as written.")
    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True, doc="Traffic replayed (from the picker).")
    result = param.ClassSelector(class_=SimulationResult, allow_None=True, doc="The latest simulation.")
    reference = param.ClassSelector(class_=SimulationResult, allow_None=True,
                                    doc="The run at the policy's own thresholds (cards show deltas to it).")
    simulators = param.ClassSelector(class_=Simulators, allow_None=True,
                                     doc="Shared with other tabs (Compare reuses the extracted signals).")
    engine = param.Selector(default="local", objects=["local", "ray"],
                            doc="Where the models run: this process, or a Ray cluster (routing-studio[ray]) whose "
                                "scores the studio then routes over here (same answers; sliders stay instant).")
    ray_address = param.String(default="", doc="Ray cluster to join (auto, ray://host:10001); empty: a local instance.")
    progress = param.Integer(default=0, bounds=(0, 100))
    status = param.String(default="", doc="What the last run did, or why it failed.")
    error = param.String(default="")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._derived: tuple[TrafficSet | None, dict[str, Any]] = (None, {})
        self._cluster_note = ""
        self.picker = TrafficPicker(traffic=self.traffic)
        self.picker.param.watch(lambda e: setattr(self, "traffic", e.new), "traffic")
        self.sliders = ThresholdSliders(policy=self.policy)
        self.sliders.param.watch(self._retune, "tuned")
        self.cards = MetricCards()
        self.sankey = FlowSankey(title="Traffic → decision → model")
        self.sankey.param.watch(self._drill_node, "selected")
        self.drilldown = Drilldown()
        self.explanation = RequestExplanation()
        self.drilldown.param.watch(self._explain, "selected_request")
        self._run_button = pn.widgets.Button(label="Run simulation", color="primary")
        self._run_button.on_click(self._on_run)
        self._bar = pn.indicators.Progress(value=0, max=100, visible=False, sizing_mode="stretch_width")
        self._status = pn.pane.Markdown(sizing_mode="stretch_width")
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        # Unsortable: the rows keep the policy's order (default last), and the header's sort arrows widened
        # every column, so that the thirteen overflowed the room beside the controls at 1280 px. Filled, not
        # stretched: fit_data_stretch gives the last column what the others leave, squeezing it when that is little.
        self._decisions = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width",
                                               layout="fit_data_fill", sortable=False, formatters=_FORMATTERS,
                                               titles=_TITLES, widths={"models": MODELS_PX},
                                               configuration={**FAST_ROWS,
                                                              "columns": [{"field": "models", "tooltip": True}]})
        self._decisions.on_click(self._drill_cell)
        self._decision_data = TableData(self._decisions)
        self._plot = CostQualityPlot()
        self.param.watch(self._policy_changed, "policy")
        self.param.watch(self._show, ["result", "reference"])
        self.param.watch(self._show_status, ["progress", "status", "error"])

    # -- running ------------------------------------------------------------------------------
    def simulator(self) -> Simulator:
        """The simulator of the current traffic (raw scores cached across runs and slider moves); with the
        Ray engine, one reading the scores the cluster wrote (Parquet, keyed by text), so no model runs here."""
        if self.engine == "ray":
            return self._of_traffic("ray-simulator", lambda traffic: Simulator(
                traffic, context=NeuralContext(store=ParquetScores(default_scores_root()))))
        return self._of_traffic("simulator", self.simulators.get if self.simulators else Simulator)

    def _prompts(self) -> pl.DataFrame:
        """:func:`prompt_table` of the current traffic."""
        return self._of_traffic("prompts", prompt_table)

    def _of_traffic(self, key: str, build: Callable[[TrafficSet], Any]) -> Any:
        """``build(traffic)``, built once per traffic set: another set drops everything built for the last."""
        traffic, built = self._derived
        if traffic is not self.traffic:
            built = {}
            self._derived = (self.traffic, built)
        if key not in built:
            built[key] = build(self.traffic)
        return built[key]

    def _stages(self) -> Generator[Stage, Any, SimulationResult]:
        if self.traffic is None and not self.picker.load():
            raise ValueError(self.picker.error)
        if self.policy is None:
            raise ValueError("open a policy first")
        cluster = None
        if self.engine == "ray":
            cluster = yield 5, "Scoring and routing on the Ray cluster", lambda: simulate_traffic_on_ray(
                self.policy, self.traffic, address=self.ray_address or None)
        simulator = yield 10, f"Preparing {self.traffic.requests.height:,} requests", self.simulator
        reference = yield 40, "Extracting signals and routing", lambda: simulator.simulate(self.policy)
        tuned = self.sliders.tuned
        result = reference if not self.sliders.moved() else (
            yield 80, "Applying the slider thresholds", lambda: simulator.resimulate(tuned))
        self.reference = reference
        self._cluster_note = "" if cluster is None else f" (scored on Ray: {cluster.blocks} block(s), {cluster.workers} workers)"
        return result

    def run(self) -> bool:
        """Simulate now (blocking; what the button does in a server thread). False: see ``error``."""
        stages = self._stages()
        value: Any = None
        try:
            while True:
                percent, label, work = stages.send(value)
                self.param.update(progress=percent, status=label)
                value = work()
        except StopIteration as done:
            return self._finished(done.value)
        except Exception as exc:  # the UI boundary: report, keep the last good result
            return self._failed(exc)

    async def _on_run(self, _event: Any) -> None:
        self._run_button.disabled = True
        stages = self._stages()
        value: Any = None
        try:
            while True:
                percent, label, work = stages.send(value)
                self.param.update(progress=percent, status=label)
                value = await asyncio.to_thread(work)
        except StopIteration as done:
            self._finished(done.value)
        except Exception as exc:  # the UI boundary: report, keep the last good result
            self._failed(exc)
        finally:
            self._run_button.disabled = False

    def _finished(self, result: SimulationResult) -> bool:
        summary = result.summary()
        missing = summary["unavailable_signals"]
        note = f" — {len(missing)} signal(s) unavailable offline: {', '.join(missing)}" if missing else ""
        self.param.update(result=result, progress=100, error="",
                          status=f"Simulated {summary['requests']:,} requests in {summary['seconds']:.2f} s"
                                 f"{self._cluster_note}{note}")
        return True

    def _failed(self, exc: BaseException) -> bool:
        self.param.update(progress=0, error=describe_failure(exc), status="")
        return False

    def _policy_changed(self, event: param.parameterized.Event) -> None:
        """An edited policy: sliders restart from its thresholds and re-simulate over the cache."""
        self.sliders.policy = event.new
        if self.result is not None:
            self.reference = self.result

    def _retune(self, event: param.parameterized.Event) -> None:
        """A slider moved: re-simulate the tuned policy over the cached scores."""
        if self.result is None or event.new is None:
            return
        try:
            self.result = self.simulator().resimulate(event.new)
            self.error = ""
        except Exception as exc:  # the UI boundary: report, keep the last good result
            self._failed(exc)

    # -- drilling -----------------------------------------------------------------------------
    def drill(self, column: str, value: str | None) -> None:
        """Show the requests with ``column == value`` (a decision as the per-decision table names it)."""
        self.drilldown.filters = {column: value}

    def _drill_node(self, event: param.parameterized.Event) -> None:
        if event.new is not None:
            self.drill(*event.new)

    def _drill_cell(self, event: Any) -> None:
        table = self._decisions.value
        if event.row is None or not 0 <= event.row < len(table):
            return
        self.drill("decision", table["decision"].iloc[event.row])

    def _explain(self, event: param.parameterized.Event) -> None:
        if event.new is None or self.result is None:
            return
        prompt = self.drilldown.rows().filter(pl.col("request_id") == event.new)["prompt"]
        self.explanation.param.update(policy=self.result.policy, simulator=self.simulator(),
                                      prompt=(prompt[0] or "") if len(prompt) else "", request_id=event.new)

    # -- showing ------------------------------------------------------------------------------
    def _show(self, *_events: Any) -> None:
        if self.result is None:
            return
        summary = self.result.summary()
        reference = None if self.reference is None else self.reference.summary()
        with pn.io.hold():  # one browser update: cards, flow, tables and plot never disagree on screen
            frame = with_prompts(self.result, self._prompts())
            self.sankey.frame = frame
            self.drilldown.frame = frame
            self._decision_data.show(as_percent(decision_table(self.result), PERCENT_COLUMNS))
            self._plot.show(self.result, summary, reference)
            if self.explanation.request_id:
                self.explanation.policy = self.result.policy
            self.cards.param.update(summary=summary, reference=reference)

    def _show_status(self, *_events: Any) -> None:
        self._bar.param.update(value=self.progress, visible=0 < self.progress < 100)
        self._status.object = md_text(self.status)
        self._alert.param.update(object=md_text(self.error), visible=bool(self.error))

    def __panel__(self) -> pn.viewable.Viewable:
        engine = pn.Row(pn.widgets.RadioButtonGroup.from_param(self.param.engine, name="Engine", width=120),
                        pn.widgets.TextInput.from_param(self.param.ray_address, name="", placeholder="Ray address (optional)",
                                                        width=200))
        controls = pn.Column(self.picker, engine, pn.Row(self._run_button), self._bar, self._status, self._alert,
                             self.sliders, width=360)
        results = pn.Column(self.cards, pn.Row(self.sankey, self._plot, sizing_mode="stretch_width"),
                            "#### Per decision (click a row for its requests)", self._decisions,
                            self.drilldown, self.explanation, sizing_mode="stretch_width")
        return pn.Row(controls, results, sizing_mode="stretch_width")


PERCENT_COLUMNS = ("hit_rate", "cost_share", "quality_coverage")
_PERCENT = tabulator_percent(1)
_QUALITY = tabulator_number(3)
# Short headers, so the thirteen columns fit beside the controls (q low / high: the 95 % interval of the
# mean quality; q cov.: the share of requests with a measured quality). The CLI's JSON keeps the long names.
_TITLES = {"hit_rate": "hit %", "total_cost": "cost", "cost_share": "cost %", "mean_cost": "cost / req",
           "p50_latency_ms": "p50 ms", "p95_latency_ms": "p95 ms", "mean_quality": "quality",
           "quality_low": "q low", "quality_high": "q high", "quality_coverage": "q cov."}
_FORMATTERS = {
    "hits": tabulator_number(0), "hit_rate": _PERCENT, "cost_share": _PERCENT, "quality_coverage": _PERCENT,
    "total_cost": tabulator_number(4, "$"), "mean_cost": tabulator_number(6, "$"),
    "p50_latency_ms": tabulator_number(0), "p95_latency_ms": tabulator_number(0),
    "mean_quality": _QUALITY, "quality_low": _QUALITY, "quality_high": _QUALITY,
}
