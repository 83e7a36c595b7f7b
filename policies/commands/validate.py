"""``routing-studio validate PATH...``: exit 0 valid, 1 invalid, 2 usage error."""

from __future__ import annotations

import sys

import click

from ..errors import PolicyError, Severity
from ..fragments import check_source
from . import main
from .output import EXIT_FINDINGS, EXIT_OK, emit_json


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--dialect", type=click.Choice(["canonical", "repository", "legacy", "kubernetes"]),
              help="Read the input as this layout instead of detecting it.")
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
            findings, layout = check_source(path, dialect, base)
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
