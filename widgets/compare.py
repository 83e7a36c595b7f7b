"""Two versions of a policy on the same traffic: where requests move, what it costs, and a proof.

The simulation side (paired outcomes, transitions, bootstrap intervals) is
:func:`policies.simulation.compare.compare`; the logic side is the solver's
:func:`policies.conflicts.diff.diff_policies`, which either proves that no request can route
differently or gives a distinguishing request, whether or not the traffic contains one.
"""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

from policies.api import (Comparison, DiffResult, Policy, Simulator, Store, TrafficSet, compare, diff_policies,
                          loads_policy)

from .drilldown import Drilldown
from .markdown_text import md_text
from .sankey import FlowSankey
from .simulators import Simulators
from .table_data import TableData, tabulator_number
from .traffic_picker import TrafficPicker, describe_failure

# metric -> (column title, Tabulator format in its unit)
DELTA_COLUMNS = {"cost_usd": ("total cost (USD)", tabulator_number(2, "$")),
                 "quality": ("mean quality", tabulator_number(3)),
                 "latency_ms": ("p95 latency (ms)", tabulator_number(0))}
DELTA_ROWS = {"A": "a", "B": "b", "B − A": "delta"}


def deltas_frame(comparison: Comparison) -> pl.DataFrame:
    """A column per metric (so each is formatted in its unit): A, B, B − A and its paired-bootstrap
    95 % interval as rows."""
    deltas = comparison.deltas
    rows = [*DELTA_ROWS, "95% low", "95% high"]

    def values(d: dict[str, Any]) -> list[float | None]:
        return [*(d[key] for key in DELTA_ROWS.values()), *d["ci95"]]

    return pl.DataFrame({"value": rows, **{DELTA_COLUMNS.get(m, (m,))[0]: pl.Series(values(d), dtype=pl.Float64)
                                           for m, d in deltas.items()}})


CONTRADICTION = ("The solver proves the rule logic equivalent, yet requests changed route in the simulation: "
                 "the versions differ in a threshold the solver treats as an opaque score (e.g. BM25 keywords).")


def verdict_html(results: list[DiffResult], changed: int = 0) -> str:
    """The solver's verdict per routing profile, with the distinguishing request when there is one.

    ``changed`` (requests re-routed in the simulation) flags a proof that the traffic contradicts.
    """
    items = []
    for r in results:
        colour = "#1a7f37" if r.equivalent else "#57606a" if r.equivalent is None else "#cf222e"
        head = f'<div class="rs-verdict" style="color:{colour};font-weight:600">{escape(r.describe())}</div>'
        witness = ""
        if r.equivalent is False and r.witness_a is not None:
            fired = ", ".join(r.witness_a.fired()) or "no signal"
            witness = (f"<div>Distinguishing request: signals fired <code>{escape(fired)}</code>; "
                       f"A routes to <b>{escape(r.decision_a or 'default')}</b>, "
                       f"B to <b>{escape(r.decision_b or 'default')}</b>.</div>")
        items.append(head + witness)
    if changed and results and all(r.equivalent for r in results):
        items.append(f'<div class="rs-verdict-note" style="color:#9a6700">⚠ {escape(CONTRADICTION)}</div>')
    return "".join(items) or "<em>No verdict yet.</em>"


class PolicyCompare(Viewer):
    """Compare ``policy_a`` and ``policy_b`` on ``traffic`` (or a shared ``simulator``)."""

    policy_a = param.ClassSelector(class_=Policy, allow_None=True, doc="The baseline version.")
    policy_b = param.ClassSelector(class_=Policy, allow_None=True, doc="The candidate version.")
    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True)
    simulator = param.ClassSelector(class_=Simulator, allow_None=True,
                                    doc="Reused when given (shares cached scores with the dashboard).")
    simulators = param.ClassSelector(class_=Simulators, allow_None=True,
                                     doc="Where the simulator of ``traffic`` comes from when none is given.")
    comparison = param.ClassSelector(class_=Comparison, allow_None=True, constant=True)
    verdicts = param.List(default=[], item_type=DiffResult, constant=True)
    error = param.String(default="")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.sankey = FlowSankey(stages=[("A", "decision_a"), ("B", "decision_b")], root=False,
                                 title="Decision in A → decision in B")
        self.changed = Drilldown(columns=["request_id", "decision_a", "decision_b", "model_a", "model_b",
                                          "cost_usd_a", "cost_usd_b", "quality_a", "quality_b"])
        self.sankey.param.watch(self._drill, "selected")
        self._summary = pn.pane.Markdown(sizing_mode="stretch_width")
        self._deltas = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width",
                                            formatters={title: fmt for title, fmt in DELTA_COLUMNS.values()})
        self._delta_data = TableData(self._deltas)
        self._verdict = pn.pane.HTML(sizing_mode="stretch_width")
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        self.param.watch(lambda e: self._alert.param.update(object=md_text(e.new), visible=bool(e.new)),
                         "error")

    def _simulator(self) -> Simulator:
        if self.simulator is None:
            if self.traffic is None:
                raise ValueError("choose traffic (or pass a simulator) first")
            self.simulator = self.simulators.get(self.traffic) if self.simulators else Simulator(self.traffic)
        return self.simulator

    def run(self) -> bool:
        """Simulate both versions, compare them and ask the solver; False: see ``error``."""
        try:
            if self.policy_a is None or self.policy_b is None:
                raise ValueError("give both policy versions")
            simulator = self._simulator()
            comparison = compare(simulator.simulate(self.policy_a), simulator.simulate(self.policy_b))
            verdicts = diff_policies(self.policy_a, self.policy_b)
        except Exception as exc:  # the UI boundary: report, keep the last comparison
            self.error = describe_failure(exc)
            return False
        with param.edit_constant(self):
            self.param.update(comparison=comparison, verdicts=verdicts)
        self.error = ""
        self._show()
        return True

    def _show(self) -> None:
        comparison = self.comparison
        self._summary.object = (f"**{comparison.changed.height:,}** of {comparison.pairs.height:,} requests "
                                f"change route.")
        self.sankey.frame = comparison.pairs
        self.changed.param.update(frame=comparison.changed, filters={})
        self._delta_data.show(deltas_frame(comparison))
        self._verdict.object = verdict_html(self.verdicts, comparison.changed.height)

    def _drill(self, event: param.parameterized.Event) -> None:
        if event.new is None or self.comparison is None:
            return
        stage, value = event.new
        column = {"A": "decision_a", "B": "decision_b"}[stage]
        self.changed.param.update(frame=self.comparison.pairs, filters={column: value})

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self._alert, "#### Solver verdict", self._verdict, self._summary,
                         pn.Row(self.sankey, pn.Column("#### Metric deltas (paired bootstrap, 95 %)", self._deltas),
                                sizing_mode="stretch_width"),
                         "#### Requests that changed route", self.changed, sizing_mode="stretch_width")


AS_OPENED = "the policy as first opened"


class CompareView(Viewer):
    """The studio's Compare tab: a stored version (A) against the policy being edited (B)."""

    policy = param.ClassSelector(class_=Policy, allow_None=True, doc="The candidate (B): the open policy.")
    store = param.ClassSelector(class_=Store, allow_None=True, doc="Where baseline versions come from.")
    simulators = param.ClassSelector(class_=Simulators, allow_None=True,
                                     doc="Shared with the Simulation tab: its extracted signals are reused.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.picker = TrafficPicker()
        self.compare = PolicyCompare(policy_b=self.policy, simulators=self.simulators)
        self.picker.param.watch(lambda e: self.compare.param.update(traffic=e.new, simulator=None), "traffic")
        self._opened = self.policy
        self._baseline = pn.widgets.Select(label="Baseline (A)", options=self.baselines())
        self._run = pn.widgets.Button(label="Compare with the open policy (B)", color="primary")
        self._run.on_click(lambda _event: self.run())
        self.param.watch(self._policy_changed, "policy")

    def baselines(self) -> list[str]:
        """``name vN`` per stored version (newest first), then the policy as first opened."""
        out = []
        for info in self.store.list_policies() if self.store else []:
            out += [f"{info.name} v{v.version}" for v in reversed(self.store.list_versions(info.name))]
        return out + [AS_OPENED]

    def baseline(self, label: str) -> Policy | None:
        if label == AS_OPENED or self.store is None:
            return self._opened
        name, _, version = label.rpartition(" v")
        return loads_policy(self.store.get_version(name, int(version)).spec_yaml, f"{name} v{version}")

    def run(self, label: str | None = None) -> bool:
        """Compare the chosen baseline with the open policy on the picked traffic (sample by default)."""
        if self.picker.traffic is None and not self.picker.load():
            self.compare.error = self.picker.error
            return False
        try:
            baseline = self.baseline(label or self._baseline.value)
        except Exception as exc:  # the UI boundary: a bad stored version is a message
            self.compare.error = describe_failure(exc)
            return False
        self.compare.param.update(policy_a=baseline, policy_b=self.policy)
        return self.compare.run()

    def _policy_changed(self, event: param.parameterized.Event) -> None:
        if self._opened is None:
            self._opened = event.new
        self._baseline.options = self.baselines()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.picker, pn.Row(self._baseline, self._run), self.compare, sizing_mode="stretch_width")
