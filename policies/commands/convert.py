"""``routing-studio import`` and ``export``: move policies between layouts, atomically and validated."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..atomic import atomic_write_text
from ..errors import PolicyError
from ..export import FORMATS, export_text, render_export, resource_name
from ..loader import load_policy
from . import main
from .output import EXIT_OK, fail


def _write(text: str, out: str) -> None:
    if out == "-":
        click.echo(text, nl=False)
    else:
        atomic_write_text(out, text)


@main.command("import")
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, help="Canonical YAML to write ('-' for stdout).")
@click.option("--dialect", type=click.Choice(["canonical", "repository", "legacy", "kubernetes"]),
              help="Read SRC as this layout instead of detecting it.")
def import_command(src: str, out: str, dialect: str | None) -> None:
    """Import a vLLM SR config (any layout) or a Kubernetes Pool+Route pair as canonical YAML."""
    try:
        policy = load_policy(src, dialect)
        text, notes = export_text(policy, "vllm-sr", drop_unsupported=False)
    except PolicyError as exc:
        fail(exc)
    for f in policy.import_notes + notes:
        click.echo(f.human(), err=True)
    _write(text, out)
    click.echo(f"imported {src} ({policy.dialect}) -> {out}", err=True)
    sys.exit(EXIT_OK)


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="vllm-sr", show_default=True)
@click.option("-o", "--output", "out", required=True, help="File to write ('-' for stdout).")
@click.option("--force", is_flag=True, help="Write even when validation finds errors.")
@click.option("--drop-unsupported", is_flag=True, help="Drop what the target cannot express instead of refusing.")
def export_command(path: str, fmt: str, out: str, force: bool, drop_unsupported: bool) -> None:
    """Export a policy as a vLLM SR 0.4.0 config or Kubernetes resources, validated first."""
    try:
        policy = load_policy(path)
        text, notes = render_export(policy, fmt, force, drop_unsupported, resource_name(Path(path).stem))
    except PolicyError as exc:
        fail(exc)
    for f in notes:
        click.echo(f.human(), err=True)
    _write(text, out)
    click.echo(f"exported {path} as {fmt} -> {out}", err=True)
