"""``routing-studio import`` and ``export``: move policies between layouts, atomically and validated."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..atomic import atomic_write_text
from ..dialects import fragment_kind, is_router_config
from ..errors import PolicyError, Severity
from ..export import FORMATS, export_text, render_export, resource_name
from ..export_gate import errors_label
from ..loader import policy_from_documents
from ..model import Policy
from ..yaml_source import decode_text, load_documents, read_file
from . import main
from .gate import allow_errors_option, gate
from .output import EXIT_FINDINGS, EXIT_OK, fail


def _write(text: str, out: str) -> None:
    if out == "-":
        click.echo(text, nl=False)
    else:
        atomic_write_text(out, text)


def _read_source(src: str, dialect: str | None = None, require_config: bool = True, base: str | None = None) -> Policy:
    """The policy in ``src``: the router's DSL by extension or content (:func:`policies.dsl.is_dsl_source`),
    else YAML in any layout; a YAML file holding DSL (or the reverse) gets a hint naming the mix-up. A fragment
    (only decisions, signals, ...) is merged into ``base`` (:mod:`policies.fragments`), and refused without one."""
    from ..dsl import base_refusal, is_dsl_source, loads_dsl, looks_like_dsl
    from ..fragments import load_onto_base, not_whole

    raw, name = read_file(src)
    text = decode_text(raw, name)
    if dialect == "dsl" or (dialect is None and is_dsl_source(src, text)):
        if base is not None:
            raise base_refusal(name)
        return loads_dsl(text, name)
    if base is not None:
        return load_onto_base(src, base)[0]
    try:
        docs = load_documents(raw, name)
    except PolicyError as exc:
        if looks_like_dsl(text):
            exc.findings[0].suggestion = "this looks like the router's DSL: name the file .dsl or pass --dialect dsl"
        raise
    if require_config and dialect is None and len(docs) == 1 and fragment_kind(docs[0].data):
        raise not_whole(fragment_kind(docs[0].data) or "", src)
    if require_config and dialect is None and not is_router_config([d.data for d in docs]):
        raise PolicyError.single("not-a-router-config", "not a router config: no top-level key of any router "
                                 "layout (routing, providers, decisions, vllm_endpoints, ...)", file=src,
                                 suggestion="import a vLLM Semantic Router config, or name its --dialect")
    return policy_from_documents(docs, dialect, text)  # the text: exports of the same kind keep the rest of it


@main.command("import")
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, help="Canonical YAML to write ('-' for stdout).")
@click.option("--dialect", type=click.Choice(["canonical", "repository", "legacy", "kubernetes", "dsl"]),
              help="Read SRC as this layout instead of detecting it (dsl: the router's DSL, e.g. recipe.dsl).")
@click.option("--base", type=click.Path(dir_okay=False),
              help="Merge SRC (a fragment: only decisions, signals, providers...) into this whole config.")
def import_command(src: str, out: str, dialect: str | None, base: str | None) -> None:
    """Import a vLLM SR config (any layout: Helm values, SemanticRouter, Pool+Route pair), a DSL file, or a
    fragment merged into --base, as canonical YAML."""
    try:
        policy = _read_source(src, dialect, base=base)
        text, notes = export_text(policy, "vllm-sr", drop_unsupported=False)
    except PolicyError as exc:
        fail(exc)
    findings = policy.import_notes + notes
    for f in findings:
        click.echo(f.human(), err=True)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    if errors:
        click.echo(f"{src}: not imported: {errors_label(errors)}, nothing written", err=True)
        sys.exit(EXIT_FINDINGS)
    _write(text, out)
    click.echo(f"imported {src} ({policy.dialect}) -> {out}", err=True)
    sys.exit(EXIT_OK)


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="vllm-sr", show_default=True)
@click.option("-o", "--output", "out", required=True, help="File to write ('-' for stdout).")
@allow_errors_option
@click.option("--drop-unsupported", is_flag=True, help="Drop what the target cannot express instead of refusing.")
def export_command(path: str, fmt: str, out: str, allow_errors: bool, drop_unsupported: bool) -> None:
    """Export a policy (YAML or DSL) as a vLLM SR 0.4.0 config, Kubernetes resources or the router's DSL,
    validated and checked first."""
    try:
        policy = _read_source(path, require_config=False)
        gate(policy, allow_errors, "export", fmt)
        text, notes = render_export(policy, fmt, True, drop_unsupported, resource_name(Path(path).stem))
    except PolicyError as exc:
        fail(exc)
    for f in notes:
        click.echo(f.human(), err=True)
    _write(text, out)
    click.echo(f"exported {path} as {fmt} -> {out}", err=True)
