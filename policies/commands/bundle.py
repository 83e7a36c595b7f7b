"""``routing-studio bundle build | verify | import``: reproducible production bundles."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..atomic import atomic_write_bytes
from ..errors import PolicyError
from ..formatting import count
from ..loader import load_policy
from ..yaml_source import read_file
from . import main
from .gate import allow_errors_option, gate
from .model_options import model_options
from .output import EXIT_FINDINGS, EXIT_OK, emit_json, fail


def _created_at(value: str | None, source: Path) -> datetime:
    """Explicit time, else SOURCE_DATE_EPOCH, else the policy file's mtime: same inputs, same bytes."""
    if value:
        return datetime.fromisoformat(value).astimezone(timezone.utc)
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), timezone.utc)
    return datetime.fromtimestamp(int(source.stat().st_mtime), timezone.utc)


@main.group()
def bundle() -> None:
    """Build, verify and import policy bundles (tar.gz with config, models, reports, manifest)."""


@bundle.command("build")
@model_options
@click.argument("policy_path", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, help="NAME.tar.gz to write.")
@click.option("--traffic", type=click.Path(dir_okay=False), help="Traffic log to simulate for the summary.")
@click.option("--name", help="Policy name recorded in the manifest (default: the file name).")
@click.option("--version", "version", type=int, help="Stored policy version id recorded in the manifest.")
@click.option("--message", default="", help="Version message recorded in the manifest.")
@click.option("--created-at", help="ISO time recorded as creation time (default SOURCE_DATE_EPOCH or file mtime).")
@allow_errors_option
def build_command(policy_path: str, out: str, traffic: str | None, name: str | None, version: int | None,
                  message: str, created_at: str | None, allow_errors: bool) -> None:
    """Build a bundle from POLICY_PATH; building twice from the same inputs gives identical bytes."""
    from ..bundles import PolicyRef, build_bundle  # z3 (the bundle's conflict report) loads only here

    try:
        policy = load_policy(policy_path)
        gate(policy, allow_errors, "bundle")
        summary = None
        if traffic:
            from ..simulation import simulate
            from ..traffic import read_traffic

            summary = simulate(policy, read_traffic(traffic)).summary()
        from ..models_config import active_models

        ref = PolicyRef(name or Path(policy_path).stem, version, message)
        data, notes = build_bundle(policy, ref, _created_at(created_at, Path(policy_path)), summary, force=True,
                                   models=active_models())
    except PolicyError as exc:
        fail(exc)
    for note in notes:
        click.echo(note.human(), err=True)
    atomic_write_bytes(out, data)
    click.echo(f"wrote {out} ({count(len(data))} bytes)", err=True)


@bundle.command("verify")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def verify_command(path: str, as_json: bool) -> None:
    """Re-check checksums, re-validate the config and re-run the conflict analysis. Exit 1 on any difference."""
    from ..bundles import verify_bundle

    try:
        raw, name = read_file(path)
        result = verify_bundle(raw, name)
    except PolicyError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({"ok": result.ok, "problems": result.problems, "findings_added": result.findings_added,
                   "findings_removed": result.findings_removed, "manifest": result.manifest})
    else:
        for problem in result.problems:
            click.echo(f"{path}: error: {problem}")
        for f in result.findings_added:
            click.echo(f"{path}: error: conflict finding not in the recorded report: {f['kind']} {f['decisions']}")
        for f in result.findings_removed:
            click.echo(f"{path}: error: recorded conflict finding no longer found: {f['kind']} {f['decisions']}")
        click.echo(f"{path}: {'verified' if result.ok else 'FAILED verification'}")
    sys.exit(EXIT_OK if result.ok else EXIT_FINDINGS)


@bundle.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--db", help="Store URL or SQLite path (default: ROUTING_STUDIO_DB or the user data dir).")
@click.option("--author", default=lambda: os.environ.get("USER", "routing-studio"), show_default="$USER")
def import_command(path: str, db: str | None, author: str) -> None:
    """Verify a bundle and store its config as a new version of its policy."""
    from ..bundles import bundle_policy, open_bundle, verify_bundle
    from ..bundles.bundle import CONFIG
    from ..storage import Store

    try:
        raw, name = read_file(path)
        result = verify_bundle(raw, name)
        if not result.ok:
            raise PolicyError.single("bundle", "bundle failed verification: " + "; ".join(
                result.problems or ["conflict report differs"]), file=name, suggestion="run 'bundle verify'")
        files, manifest = open_bundle(raw, name)
        bundle_policy(files, name)  # parses: only a loadable config is stored
        ref = manifest["policy"]
        with Store.open(db) as store:
            info = store.save_version(ref["name"], files[CONFIG].decode(), author,
                                      f"bundle import: {ref.get('message') or Path(path).name}")
    except PolicyError as exc:
        fail(exc)
    click.echo(f"imported {path} as {info.policy_name} v{info.version}")
