"""Shared output helpers so every command prints findings, errors and JSON the same way."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Iterable, NoReturn

import click

from ..errors import PolicyError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail(exc: PolicyError, as_json: bool = False) -> NoReturn:
    """Report a PolicyError without a traceback and exit 1."""
    if as_json:
        emit_json({"ok": False, "findings": [f.to_dict() for f in exc.findings]})
    else:
        for f in exc.findings:
            click.echo(f.human(), err=True)
    sys.exit(EXIT_FINDINGS)


def _strict(data: Any) -> Any:
    """NaN and infinity (e.g. a p95 over no measured latency) become null: ``json.dumps`` would write
    ``NaN``, which is not JSON and which ``jq`` and most parsers reject."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _strict(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_strict(value) for value in data]
    return data


def emit_json(data: Any) -> None:
    """Machine output: raw, unrounded numbers (the human lines go through ``policies.formatting``)."""
    click.echo(json.dumps(_strict(data), indent=2, sort_keys=True, default=str, allow_nan=False))


def echo_lines(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)
