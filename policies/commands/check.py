"""``routing-studio check POLICY``: conflict analysis as a CI gate (exit 1 on error findings, 0 otherwise, 2 usage)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import PolicyError, Severity
from ..loader import load_policy
from . import main
from .model_options import model_options
from .output import EXIT_FINDINGS, EXIT_OK, emit_json, fail

if TYPE_CHECKING:  # z3 and polars load only when the command runs (see commands/__init__.py)
    import polars as pl

    from ..conflicts.findings import ConflictFinding
    from ..model import Policy


def _line(f: ConflictFinding) -> str:
    where = f" [{f.profile}]" if f.profile else ""
    return f"  {f.kind}{where}: {f.explanation} (evidence: {f.evidence}; id {f.id})"


def _witness_lines(f: ConflictFinding) -> list[str]:
    """The witness as a request: the example prompt, then signal → value → threshold → fires."""
    witness = f.witness_synthetic
    if witness is None:
        return []
    out = [f"      example request: {witness.describe()}"]
    rows = witness.table(f.signals or None)
    if rows:
        width = max(len("signal"), *(len(r.signal) for r in rows))
        value_width = max(len("value"), *(len(r.value) for r in rows))
        out.append(f"        {'signal'.ljust(width)}  {'value'.ljust(value_width)}  threshold  fires")
        out += [f"        {r.signal.ljust(width)}  {r.value.ljust(value_width)}  {r.threshold.ljust(9)}  "
                f"{'yes' if r.fires else 'no'}" for r in rows]
    return out


def _traffic_lines(f: ConflictFinding) -> list[str]:
    line = f.traffic_line()
    if line is None:
        return []
    out = [f"      traffic: {line}"]
    texts = f.witnesses_real_text or [""] * len(f.witnesses_real)
    for request_id, text in zip(f.witnesses_real, texts):
        out.append(f"        {request_id}" + (f": {_clip(text)!r}" if text else ""))
    return out


def _clip(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _load_traffic(path: str, policy: Policy) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """(the per-request table to weigh findings with, the logged prompts when the file has them): an already
    simulated parquet (``match::`` columns) as is, anything else read by :func:`policies.traffic.read_traffic`
    and simulated through ``policy`` first."""
    import polars as pl

    from ..simulation import simulate
    from ..traffic import read_traffic

    if path.endswith(".parquet"):
        frame = pl.read_parquet(path)
        if any(c.startswith("match::") for c in frame.columns):
            return frame, None
    traffic = read_traffic(path)
    result = simulate(policy, traffic)
    for signal, why in result.unavailable.items():
        click.echo(f"note: {signal} not simulated offline ({why}); its findings stay unweighted", err=True)
    return result.requests, traffic.requests.select("request_id", "prompt")


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
    for r in f.data.get("not_offered", []):
        out.append(f"      not offered ({r['kind']}): {r['description']}: {r['why']}")
    return out


def _print_report(report, limit: int | None) -> None:
    """Findings in ranked groups (errors first, then traffic share): a group's first ``limit`` members in full,
    accepted overlaps one line each."""
    for group in report.groups():
        click.echo(group.title)
        shown = group.findings if limit is None else group.findings[:limit]
        for f in shown:
            lines = ([f"  '{f.decisions[0]}' takes the requests it shares with '{f.decisions[1]}' (id {f.id})"]
                     if group.accepted else [_line(f), *_witness_lines(f), *_traffic_lines(f), *_repair_lines(f)])
            for line in lines:
                click.echo(line)
        if len(shown) < len(group.findings):
            click.echo(f"  … {len(group.findings) - len(shown)} more {group.kind} findings (--all lists every one)")


def _accept(policy: Policy, report, ids: tuple[str, ...], out: str) -> None:
    """Write ``policy`` with the named overlaps accepted as intended (their annotation) to ``out``."""
    from ..atomic import atomic_write_text
    from ..conflicts.intent import accept_overlap
    from ..loader import dumps_policy

    by_id = {f.id: f for f in report.findings}
    for finding_id in ids:
        if finding_id not in by_id:
            raise click.UsageError(f"--accept {finding_id}: no finding with that id in this policy")
        try:
            policy = accept_overlap(policy, by_id[finding_id])
        except ValueError as exc:
            raise click.UsageError(f"--accept {finding_id}: {exc}") from None
    atomic_write_text(out, dumps_policy(policy))  # the user's file with the annotations added, comments kept
    click.echo(f"wrote {out}: {len(ids)} overlap(s) accepted as intended", err=True)


@main.command()
@model_options
@click.argument("policy_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--traffic", type=click.Path(exists=True, dir_okay=False),
              help="Traffic log (any format read_traffic reads; simulated through the policy) or simulated parquet.")
@click.option("--invariants", "invariants_path", type=click.Path(exists=True, dir_okay=False),
              help="YAML file of user invariants to prove.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--timeout-ms", default=2000, show_default=True, help="Per-query solver timeout.")
@click.option("--no-repairs", is_flag=True, help="Skip proposing (and proving) repairs for pair findings.")
@click.option("--all", "show_all", is_flag=True, help="List every finding of a group (default: the first 5).")
@click.option("--accept", "accept_ids", multiple=True, metavar="ID",
              help="Accept the overlap with this finding id as intended (repeatable); needs --out.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="With --accept: write the annotated policy here (canonical YAML), then check it.")
def check(policy_path: str, traffic: str | None, invariants_path: str | None, as_json: bool, timeout_ms: int,
          no_repairs: bool, show_all: bool, accept_ids: tuple[str, ...], out_path: str | None) -> None:
    """Find dead, unreachable, shadowed and overlapping decisions, ties and gaps, each with a witness request.

    Overlaps accepted as intended (a decision's ``annotations``, which the router ignores) are listed apart."""
    from ..conflicts import AnalysisOptions, analyze_policy
    from ..conflicts.invariants import load_invariants

    if bool(accept_ids) != bool(out_path):
        raise click.UsageError("--accept and --out go together")
    try:
        policy = load_policy(policy_path)
        invariants = load_invariants(invariants_path) if invariants_path else []
        options = AnalysisOptions(timeout_ms=timeout_ms, repairs=not no_repairs)
        report = analyze_policy(policy, options, invariants)
        if accept_ids:
            _accept(policy, report, accept_ids, out_path)
            policy_path, policy = out_path, load_policy(out_path)
            report = analyze_policy(policy, options, invariants)
        if traffic:
            from ..conflicts.traffic import weigh_findings

            frame, prompts = _load_traffic(traffic, policy)
            weigh_findings(report, frame, prompts=prompts)
    except PolicyError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({"policy": policy_path, "errors": report.has_errors,
                   "groups": [{"kind": g.kind, "severity": g.severity.value, "accepted": g.accepted,
                               "count": len(g.findings), "share": g.share, "ids": [f.id for f in g.findings]}
                              for g in report.groups()],
                   "findings": [f.to_dict() for f in report.findings]})
    else:
        _print_report(report, None if show_all else 5)
        counts = {s: sum(f.severity is s and not f.accepted for f in report.findings) for s in Severity}
        accepted = sum(f.accepted for f in report.findings)
        click.echo(f"{policy_path}: {counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
                   f"{counts[Severity.INFO]} info" + (f", {accepted} accepted as intended" if accepted else ""))
    sys.exit(EXIT_FINDINGS if report.has_errors else EXIT_OK)
