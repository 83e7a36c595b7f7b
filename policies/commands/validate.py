"""``routing-studio validate PATH...``: exit 0 valid, 1 invalid, 2 usage error."""

from __future__ import annotations

import sys

import click

from ..errors import Finding, PolicyError, Severity
from ..fragments import check_source, fragment_findings
from . import main
from .output import EXIT_FINDINGS, EXIT_OK, emit_json


def _check_dsl(path: str, dialect: str | None, base: str | None) -> tuple[list[Finding], str] | None:
    """Findings on a DSL file (routing only, so checked as a fragment: what only providers would settle is
    moot); None for YAML."""
    from ..dsl import DIALECT, base_refusal, read_dsl

    policy = read_dsl(path, dialect)
    if policy is None:
        return None
    if base is not None:
        raise base_refusal(path)
    return fragment_findings(policy), DIALECT


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--dialect", type=click.Choice(["canonical", "repository", "legacy", "kubernetes", "dsl"]),
              help="Read the input as this layout instead of detecting it (dsl: the router's DSL, e.g. recipe.dsl).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors and warnings only.")
@click.option("--base", type=click.Path(dir_okay=False),
              help="Validate each PATH (a fragment: only decisions, signals, providers...) merged into this config.")
def validate(paths: tuple[str, ...], as_json: bool, dialect: str | None, strict: bool, quiet: bool,
             base: str | None) -> None:
    """Validate policy files (any supported layout, or fragments) and print located findings."""
    reports, ok = [], True
    for path in paths:
        try:
            findings, layout = _check_dsl(path, dialect, base) or check_source(path, dialect, base)
        except PolicyError as exc:
            findings, layout = exc.findings, None
        failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        valid = layout is not None and not any(f.severity in failing for f in findings)
        ok &= valid
        reports.append({"path": path, "valid": valid, "dialect": layout, "findings": [f.to_dict() for f in findings]})
        if not as_json:
            for f in findings:
                if not (quiet and f.severity is Severity.INFO):
                    click.echo(f.human())
            counts = {s: sum(f.severity is s for f in findings) for s in Severity}
            click.echo(f"{path}: {'valid' if valid else 'INVALID'} ({layout or 'unreadable'}; "
                       f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings)")
    if as_json:
        emit_json({"valid": ok, "files": reports})
    sys.exit(EXIT_OK if ok else EXIT_FINDINGS)
