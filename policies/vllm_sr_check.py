"""Validate a config file with vllm-sr 0.4.0 itself, in-process (test and benchmark helper only).

The engine never imports this module: vllm-sr is a test dependency, and its ``cli`` package is
imported lazily on first use. The first call pays for importing ``cli`` and switching PyYAML to
its C loader (vllm-sr parses a 1.4 MB bundled catalog with ``yaml.SafeLoader``; the C loader
turns ~25 s into well under a second), later calls in the same process are fast.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

VLLM_SR_VERSION = "0.4.0"


def available() -> bool:
    """True when the pinned vllm-sr wheel is installed."""
    try:
        from importlib import metadata
        return metadata.version("vllm-sr") == VLLM_SR_VERSION
    except Exception:  # not installed (PackageNotFoundError) or broken metadata
        return False


@lru_cache(maxsize=1)
def _cli() -> SimpleNamespace:
    import yaml

    if hasattr(yaml, "CSafeLoader"):
        yaml.SafeLoader = yaml.CSafeLoader  # process-wide: vllm-sr reads yaml.SafeLoader at call time
    import cli.config_schema
    import cli.config_schema.validation as structure

    # vllm-sr re-parses its 180 kB schema several times per file; nothing mutates it, so parse it once.
    cached = lru_cache(maxsize=1)(cli.config_schema.schema_document)
    cli.config_schema.schema_document = structure.schema_document = cached
    from cli.commands.validate import _provider_projection_errors
    from cli.parser import ConfigParseError, parse_user_config
    from cli.validator import validate_user_config

    return SimpleNamespace(parse=parse_user_config, parse_error=ConfigParseError,
                           validate=validate_user_config, projection=_provider_projection_errors)


def vllm_sr_errors(path: str | Path) -> list[str]:
    """Every error ``vllm-sr config validate`` would print for ``path``; empty when it accepts the file."""
    cli = _cli()
    try:
        config = cli.parse(str(path), log_summary=False)
    except cli.parse_error as exc:
        return [str(exc)]
    errors = cli.validate(config, log_summary=False) or cli.projection(config)
    return [str(e) for e in errors]
