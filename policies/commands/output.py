"""Shared output helpers so every command prints findings and errors the same way."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from ..errors import PolicyError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail(exc: PolicyError, as_json: bool = False) -> NoReturn:
    """Report a PolicyError without a traceback and exit 1."""
    if as_json:
        click.echo(json.dumps({"ok": False, "findings": [f.to_dict() for f in exc.findings]}, indent=2))
    else:
        for f in exc.findings:
            click.echo(f.human(), err=True)
    sys.exit(EXIT_FINDINGS)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
