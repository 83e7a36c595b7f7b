"""Calibrate thresholds to production: fit each signal to a log's logged verdicts or decisions, show the
agreement before and after, and apply the fit as one undoable edit of the policy.

The fit is the engine's (:func:`policies.calibration.calibrate`); applying patches only the
threshold lines into the user's text (``PolicyState.apply_spec``), so Undo restores the file.
"""

from __future__ import annotations

import asyncio
from typing import Any

import panel as pn
import param
import polars as pl

from policies.api import MIN_LABELS, Fit, Simulator, TrafficSet, calibrate, percent, score, with_thresholds

from .markdown_text import md_text
from .simulators import Simulators
from .state import StateView
from .traffic_picker import TrafficPicker, describe_failure


def fits_frame(fits: list[Fit]) -> pl.DataFrame:
    """One row per fitted signal, as the CLI prints it: agreement, thresholds and the disagreements."""
    return pl.DataFrame([{"signal": f.signal, "logged": f.target, "labelled": f.labelled,
                          "informative": f.informative, "agreement before": percent(f.before),
                          "agreement after": percent(f.after), "field": f.field, "threshold": score(f.old_threshold),
                          "fitted": score(f.new_threshold), "disagreements before": _listed(f.disagreements(False)),
                          "disagreements after": _listed(f.disagreements(True)), "note": f.note} for f in fits],
                        schema={"signal": pl.String, "logged": pl.String, "labelled": pl.Int64,
                                "informative": pl.Int64, "agreement before": pl.String, "agreement after": pl.String,
                                "field": pl.String, "threshold": pl.String, "fitted": pl.String,
                                "disagreements before": pl.String, "disagreements after": pl.String, "note": pl.String})


def _listed(disagreements: list[tuple[str, str, int]]) -> str:
    """``logged → simulated: requests`` pairs (the confusion off its diagonal), or "none"."""
    return "; ".join(f"{logged} → {simulated}: {n}" for logged, simulated, n in disagreements) or "none"


class CalibrationPanel(StateView):
    """Fits the state's policy to a traffic log with production's verdicts (Router Replay records)."""

    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True, doc="The log (from the picker).")
    simulators = param.ClassSelector(class_=Simulators, allow_None=True,
                                     doc="The session's simulators (scores shared with the Simulation tab).")
    min_labels = param.Integer(default=MIN_LABELS, bounds=(1, None),
                               doc="Fewer labelled (or informative) requests keep a signal's threshold.")
    fits = param.List(default=[], item_type=Fit, doc="The last calibration's fits.")
    error = param.String(default="", doc="Why the last calibration failed.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.picker = TrafficPicker(traffic=self.traffic, source="File")
        self.picker.param.watch(lambda e: setattr(self, "traffic", e.new), "traffic")
        self._run_button = pn.widgets.Button(label="Calibrate", button_type="primary", css_classes=["calibrate-run"])
        self._apply_button = pn.widgets.Button(label="Apply fitted thresholds", button_type="success",
                                               css_classes=["calibrate-apply"], disabled=True)
        self._run_button.on_click(self._on_run)
        self._apply_button.on_click(lambda _: self.apply())
        self._table = pn.widgets.Tabulator(fits_frame([]).to_pandas(), disabled=True, show_index=False,
                                           sizing_mode="stretch_width", css_classes=["calibration-table"])
        self._alert = pn.pane.Alert(alert_type="danger", visible=False, css_classes=["calibration-error"])
        self.param.watch(self._show, ["fits", "error"])

    def calibrate(self) -> bool:
        """Fit every thresholded signal the policy's decisions reference (blocking). False: see ``error``."""
        try:
            self.param.update(fits=self._fit(), error="")
            return True
        except Exception as exc:  # the UI boundary: report, keep the last fits
            self.error = describe_failure(exc)
            return False

    def apply(self) -> bool:
        """Write the changed thresholds into the policy: one undoable edit (False when nothing changes)."""
        changed = [f for f in self.fits if f.changed]
        if not changed or self.state.policy is None:
            return False
        return self.state.apply_spec(with_thresholds(self.state.policy, changed).to_spec())

    def _fit(self) -> list[Fit]:
        if self.traffic is None and not self.picker.load():
            raise ValueError(self.picker.error)
        if self.state.policy is None:
            raise ValueError("open a policy first")
        simulator = self.simulators.get(self.traffic) if self.simulators else Simulator(self.traffic)
        return calibrate(simulator, self.traffic.requests, self.state.policy, min_labels=self.min_labels)

    async def _on_run(self, _event: Any) -> None:
        self._run_button.disabled = True
        try:
            fits = await asyncio.to_thread(self._fit)
            self.param.update(fits=fits, error="")
        except Exception as exc:  # the UI boundary: report, keep the last fits
            self.error = describe_failure(exc)
        finally:
            self._run_button.disabled = False

    def _show(self, *_events: Any) -> None:
        self._table.value = fits_frame(self.fits).to_pandas()
        self._apply_button.disabled = not any(f.changed for f in self.fits)
        self._alert.param.update(object=md_text(self.error), visible=bool(self.error))

    def __panel__(self) -> pn.viewable.Viewable:
        intro = pn.pane.Markdown("Fit each signal's threshold so the simulation agrees with a log of production's "
                                 "decisions or signal verdicts (vLLM SR Router Replay records).")
        return pn.Column(intro, self.picker, pn.widgets.IntInput.from_param(self.param.min_labels, width=160),
                         pn.Row(self._run_button, self._apply_button), self._alert, self._table,
                         sizing_mode="stretch_width")
