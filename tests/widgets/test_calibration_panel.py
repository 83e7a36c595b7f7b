"""The Calibrate tab through its param API: it fits the open policy to a Router Replay log, shows the
table, and applies the fit as one undoable edit that changes only the threshold line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.traffic import read_traffic
from tests.calibration_logs import SIGNAL, Logged, changed_lines, logged_at
from widgets.calibration import CalibrationPanel, fits_frame
from widgets.simulators import Simulators
from widgets.state import PolicyState


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    return logged_at(tmp_path_factory.mktemp("calibration-panel"), n=120)


def test_fit_shows_agreement_and_applies_as_one_undoable_edit(logged: Logged, state: PolicyState,
                                                               cost_text: str) -> None:
    traffic = read_traffic(logged.write("verdicts.jsonl", signals=True, decisions=False))
    panel = CalibrationPanel(state=state, traffic=traffic, simulators=Simulators())
    assert panel.calibrate(), panel.error
    (fit,) = panel.fits
    assert fit.signal == SIGNAL and fit.changed and fit.after == 1.0 and fit.before < 1.0
    row = panel._table.value.iloc[0]
    assert (row["signal"], row["agreement after"], row["threshold"]) == (SIGNAL, "100.0%", "0.100")
    missed = fit.confusion_before[("fired", "not fired")]
    assert (row["disagreements before"], row["disagreements after"]) == (f"fired → not fired: {missed}", "none")
    assert not panel._apply_button.disabled
    assert panel.apply()
    assert changed_lines(cost_text, state.valid_text) == ["-        threshold: 0.1",
                                                      f"+        threshold: {fit.new_threshold}"]
    assert state.policy.routing.find_signal("complexity", "difficulty").threshold == fit.new_threshold
    assert state.can_undo
    state.undo()
    assert state.valid_text == cost_text


def test_too_few_labels_leave_nothing_to_apply(logged: Logged, state: PolicyState, cost_text: str) -> None:
    traffic = read_traffic(logged.write("few.jsonl", signals=True, decisions=False, labelled=12))
    panel = CalibrationPanel(state=state, traffic=traffic)
    assert panel.calibrate()
    assert "too few labels: 12" in panel.fits[0].note and not panel.fits[0].changed
    assert panel._apply_button.disabled and not panel.apply()
    assert state.valid_text == cost_text and not state.can_undo


def test_a_log_without_production_verdicts_is_reported(logged: Logged, state: PolicyState, tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(f'{{"request_id": "q{i}", "prompt": "{p[:40]!s}"}}\n'.replace("\\", "")
                             for i, p in enumerate(["what is 2+2", "prove the theorem"])))
    panel = CalibrationPanel(state=state, traffic=read_traffic(plain))
    assert not panel.calibrate()
    assert "logs neither production's complexity signals" in panel.error and panel._alert.visible
    assert fits_frame([]).height == 0
