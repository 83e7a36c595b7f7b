"""``routing-studio calibrate``: fit signal thresholds to production's logged verdicts (:mod:`policies.calibration`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..atomic import atomic_write_bytes
from ..errors import PolicyError
from ..formatting import percent
from ..loader import dumps_policy, load_policy
from . import main
from .model_options import model_options
from .output import EXIT_OK, echo_lines, emit_json, fail

if TYPE_CHECKING:  # the engine (polars, onnxruntime) loads only when the command runs
    from ..calibration import Fit


@main.command()
@model_options
@click.argument("policy", type=click.Path(exists=True, dir_okay=False))
@click.option("--traffic", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A log with production's decisions or signal verdicts (vLLM SR Router Replay records).")
@click.option("--signal", "signals", multiple=True, metavar="KIND:NAME",
              help="Signal to fit (repeatable); default: every thresholded signal a decision references.")
@click.option("--min-labels", type=click.IntRange(min=1), default=None,
              help="Keep a threshold fitted from fewer labelled (or, decision-only, informative) requests "
                   "(default: the engine's minimum, reported with each fit).")
@click.option("--write", "out", type=click.Path(dir_okay=False),
              help="Write POLICY with only the fitted thresholds changed (comments and layout kept).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable fits with confusion counts.")
def calibrate(policy: str, traffic: str, signals: tuple[str, ...], min_labels: int | None, out: str | None,
              as_json: bool) -> None:
    """Fit signal thresholds so the simulation agrees with the decisions or signals TRAFFIC logged."""
    from ..calibration import MIN_LABELS, calibrate as fit_signals, with_thresholds
    from ..simulation import Simulator
    from ..traffic import read_traffic

    try:
        loaded = load_policy(policy)
        logged = read_traffic(traffic)
        fits = fit_signals(Simulator(logged), logged.requests, loaded, signals, min_labels or MIN_LABELS)
    except PolicyError as exc:
        fail(exc, as_json)
    if out:
        atomic_write_bytes(out, dumps_policy(with_thresholds(loaded, fits)).encode("utf-8"))
    if as_json:
        emit_json({"fits": [f.to_dict() for f in fits], "written": out})
    else:
        echo_lines(fit_lines(fits))
        if out:
            click.echo(f"wrote {out} ({sum(f.changed for f in fits)} thresholds changed)")
    sys.exit(EXIT_OK)


def fit_lines(fits: list[Fit]) -> list[str]:
    """One line per signal: labels, agreement before -> after, threshold old -> new; its disagreements."""
    if not fits:
        return ["no thresholded signal is referenced by a decision: nothing to calibrate"]
    lines = []
    for f in fits:
        labels = f"{f.labelled} logged {'verdicts' if f.target == 'signal' else 'decisions'}"
        if f.target == "decision":
            labels += f" ({f.informative} informative)"
        lines.append(f"{f.signal}: {labels}; agreement {percent(f.before)} -> {percent(f.after)}; "
                     f"{f.field} {f.old_threshold:g} -> {f.new_threshold:g}" + (f" ({f.note})" if f.note else ""))
        for title, after in (("before", False), ("after", True)):
            wrong = f.disagreements(after)
            if wrong:
                lines.append(f"  disagreements {title}: " + ", ".join(f"logged {a} / simulated {b}: {n}"
                                                                        for a, b, n in wrong))
    return lines
