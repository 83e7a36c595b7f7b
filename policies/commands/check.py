"""``routing-studio check POLICY``: conflict analysis as a CI gate (exit 1 on error findings, 0 otherwise, 2 usage)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import PolicyError, Severity
from ..formatting import percent, usd
from ..loader import load_policy
from . import main
from .output import EXIT_FINDINGS, EXIT_OK, emit_json, fail

if TYPE_CHECKING:  # z3 and polars load only when the command runs (see commands/__init__.py)
    import polars as pl

    from ..conflicts.findings import ConflictFinding
    from ..model import Policy


def _line(f: ConflictFinding) -> str:
    where = f" [{f.profile}]" if f.profile else ""
    traffic = ""
    if f.share is not None:
        traffic = f" share={percent(f.share)}"
        if f.stake:
            traffic += f" stake={usd(f.stake)}"
    return f"  {f.kind}{where}: {f.explanation} (evidence: {f.evidence}{traffic}; id {f.id})"


def _load_traffic(path: str, policy: Policy) -> pl.DataFrame:
    """The per-request table to weigh findings with: an already simulated parquet (``match::`` columns) as is,
    anything else read by :func:`policies.traffic.read_traffic` and simulated through ``policy`` first."""
    import polars as pl

    from ..simulation import simulate
    from ..traffic import read_traffic

    if path.endswith(".parquet"):
        frame = pl.read_parquet(path)
        if any(c.startswith("match::") for c in frame.columns):
            return frame
    result = simulate(policy, read_traffic(path))
    for signal, why in result.unavailable.items():
        click.echo(f"note: {signal} not simulated offline ({why}); its findings stay unweighted", err=True)
    return result.requests


def _repair_lines(f: ConflictFinding) -> list[str]:
    verdict = {True: "proved local", False: "NOT local", None: "locality undecided"}
    out = []
    for r in f.repairs:
        line = f"      repair ({r.kind}): {r.description} [{verdict[r.local]}"
        if r.winner_ok is not None:
            line += ", intended winner " + ("proved" if r.winner_ok else "NOT guaranteed")
        out.append(line + "]")
        if r.counterexample is not None:
            out.append(f"        moves e.g.: {r.counterexample.describe()}")
    return out


@main.command()
@click.argument("policy_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--traffic", type=click.Path(exists=True, dir_okay=False),
              help="Traffic log (any format read_traffic reads; simulated through the policy) or simulated parquet.")
@click.option("--invariants", "invariants_path", type=click.Path(exists=True, dir_okay=False),
              help="YAML file of user invariants to prove.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--timeout-ms", default=2000, show_default=True, help="Per-query solver timeout.")
@click.option("--no-repairs", is_flag=True, help="Skip proposing (and proving) repairs for pair findings.")
def check(policy_path: str, traffic: str | None, invariants_path: str | None, as_json: bool, timeout_ms: int,
          no_repairs: bool) -> None:
    """Find dead, unreachable, shadowed and overlapping decisions, ties and gaps, each with a witness."""
    from ..conflicts import AnalysisOptions, analyze_policy
    from ..conflicts.invariants import load_invariants

    try:
        policy = load_policy(policy_path)
        invariants = load_invariants(invariants_path) if invariants_path else []
        report = analyze_policy(policy, AnalysisOptions(timeout_ms=timeout_ms, repairs=not no_repairs), invariants)
        if traffic:
            from ..conflicts.traffic import weigh_findings

            weigh_findings(report, _load_traffic(traffic, policy))
    except PolicyError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({"policy": policy_path, "errors": report.has_errors,
                   "findings": [f.to_dict() for f in report.findings]})
    else:
        for severity in Severity:
            group = [f for f in report.findings if f.severity is severity]
            if not group:
                continue
            click.echo(f"{severity.value.upper()}S ({len(group)})")
            for f in group:
                click.echo(_line(f))
                witness = f.witness_synthetic
                if witness is not None:
                    click.echo(f"      witness: {witness.describe()}")
                if f.witnesses_real:
                    click.echo(f"      real requests: {', '.join(f.witnesses_real)}")
                for line in _repair_lines(f):
                    click.echo(line)
        counts = {s: sum(f.severity is s for f in report.findings) for s in Severity}
        click.echo(f"{policy_path}: {counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
                   f"{counts[Severity.INFO]} info")
    sys.exit(EXIT_FINDINGS if report.has_errors else EXIT_OK)
