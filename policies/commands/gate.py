"""The command line's export gate: ``--allow-errors`` and the refusal message (rules in ``policies/export_gate.py``)."""

from __future__ import annotations

import sys
from typing import Callable

import click

from ..export_gate import blocking_errors, errors_label
from ..model import Policy
from .output import EXIT_FINDINGS


allow_errors_option: Callable = click.option(
    "--allow-errors", "--force", "allow_errors", is_flag=True,
    help="Proceed even when validation or conflict analysis finds errors (they are still printed).")


def gate(policy: Policy, allow_errors: bool, what: str, fmt: str = "vllm-sr") -> None:
    """Print the errors blocking ``fmt``; exit 1 (before anything is written) unless ``allow_errors``."""
    errors = blocking_errors(policy, fmt)
    for f in errors:
        click.echo(f.human(), err=True)
    if not errors:
        return
    if not allow_errors:
        click.echo(f"{what} refused: {errors_label(len(errors))}, nothing written (fix them, or pass --allow-errors)",
                   err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"{what} despite {errors_label(len(errors))} (--allow-errors)", err=True)
