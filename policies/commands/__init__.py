"""The ``routing-studio`` command line: thin click commands over the ``policies`` engine.

Each command module registers itself on :data:`main`; later commands (check, simulate, diff,
explain, bundle) slot in the same way. Engine errors (:class:`PolicyError`) become
``file:line:col: severity: message`` lines and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import importlib
import os

import click

# Pydantic looks for its own plugins (observability hooks) by scanning every installed package's
# entry points when the first validator is built: 25-60 ms of a ~0.25 s `validate` process in an
# environment with ~170 packages. The CLI uses none; a user who wants them sets the variable.
# The policy models defer their schemas (``policies.model.base``), so this is read in time.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

COMMAND_MODULES = ("validate", "convert", "check", "simulate", "bundle", "calibrate")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="routing-studio")
def main() -> None:
    """Design, check, simulate and export LLM routing policies (vLLM Semantic Router)."""


for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as exc:  # a command module not written yet is simply absent
        if exc.name != f"{__name__}.{_name}":
            raise
