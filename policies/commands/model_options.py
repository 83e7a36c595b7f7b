"""``--model KIND[:SIGNAL]=DIR``, ``--models models.yaml`` and ``--models-root DIR`` for the commands
that run models (simulate, diff, explain, check): one decorator, so each command only attaches it.

The options set the process's model mapping (:func:`policies.models_config.use_models`) before the
command body runs; every simulation the command starts reads it. Order of precedence: ``--model``,
then ``models.yaml``, then the models the policy names under the models root.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from ..errors import PolicyError
from .output import fail

if TYPE_CHECKING:  # the mapping's code loads when a command that runs models runs, not for `validate`
    from ..models_config import ModelsConfig

POLICY_ARGUMENTS = ("policy", "policy_path", "policy_a", "policy_b")


def models_config(bindings: tuple[str, ...], models_file: str | None, models_root: str | None,
                  policies: list[str]) -> ModelsConfig:
    """The mapping the options describe, with the models ``policies`` name under the root."""
    from ..loader import load_policy
    from ..models_config import ModelsConfig, load_models_yaml, parse_binding

    config = ModelsConfig(tuple(parse_binding(text) for text in bindings),
                          Path(models_root).expanduser() if models_root else None)
    if models_file:
        config = config.merged(load_models_yaml(models_file))
    for path in policies:
        config = config.for_policy(load_policy(path))
    return config


def model_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the model options to a click command (apply below ``@main.command()``)."""
    @click.option("--model", "model_bindings", multiple=True, metavar="KIND[:SIGNAL]=DIR",
                  help="Compute signals of KIND (or only SIGNAL) with your model: a Hugging Face ONNX export "
                       "(config.json with id2label, tokenizer.json, model.onnx). Repeatable.")
    @click.option("--models", "models_file", type=click.Path(exists=True, dir_okay=False),
                  help="A models.yaml mapping signal kinds and signals to model directories.")
    @click.option("--models-root", type=click.Path(exists=True, file_okay=False),
                  help="Directory holding the models the policy names (global.model_catalog), by model id.")
    @functools.wraps(command)
    def run(*args: Any, model_bindings: tuple[str, ...], models_file: str | None, models_root: str | None,
            **kwargs: Any) -> Any:
        from ..models_config import active_models, use_models

        policies = [kwargs[name] for name in POLICY_ARGUMENTS if kwargs.get(name)]
        before = active_models()
        try:
            config = models_config(model_bindings, models_file, models_root, policies)
        except PolicyError as exc:
            fail(exc, bool(kwargs.get("as_json")))
        use_models(config)
        for binding in config.bindings:  # on stderr: what computed the signals, beside any output format
            click.echo(f"model: {binding.key} signals <- {binding.path} (from {binding.origin})", err=True)
        try:
            return command(*args, **kwargs)
        finally:  # an in-process caller (a test's CliRunner, a notebook) gets its mapping back
            use_models(before)
    return run
