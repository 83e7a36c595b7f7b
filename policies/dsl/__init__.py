"""The router's DSL (``recipe.dsl``), both ways: compile it to the policy model, write a policy as DSL.

``lexer`` -> ``parser`` (located AST) -> ``compiler`` (policy model, positions in the DSL) and
``emitter`` (policy -> DSL text, reporting what the DSL cannot hold). :func:`is_dsl_source` decides
which reader a file gets, so a YAML file is never parsed as DSL nor the reverse.
"""

from __future__ import annotations

import re
from pathlib import Path

from typing import TYPE_CHECKING, Any

from ..errors import PolicyError
from ..yaml_source import decode_text, read_file

if TYPE_CHECKING:
    from ..model import Policy

# The parser, compiler and emitter load when a DSL is read or written (``loads_dsl``, ``dumps_dsl``):
# `routing-studio validate` asks :func:`read_dsl` about every file, and most are YAML.
DIALECT = "dsl"
DSL_SUFFIXES = (".dsl",)
YAML_SUFFIXES = (".yaml", ".yml", ".json")
_DSL_START = re.compile(r"\A(?:\s*(?:#[^\n]*)?\n)*\s*(SIGNAL|PROJECTION|MODEL|PLUGIN|ROUTE|DECISION_TREE|ENTRYPOINT"
                        r"|RECIPE|ROUTING|TEST)\s+[^\s:]")


def looks_like_dsl(text: str) -> bool:
    """Whether the first thing after comments is a DSL block keyword (``SIGNAL domain math {``), which
    no YAML mapping starts with (a YAML key is followed by ``:``)."""
    return bool(_DSL_START.match(text))


def is_dsl_source(path: str | Path, text: str) -> bool:
    """DSL by extension (``.dsl``); YAML by extension (``.yaml``/``.yml``/``.json``); otherwise by content."""
    suffix = Path(path).suffix.lower()
    if suffix in DSL_SUFFIXES:
        return True
    if suffix in YAML_SUFFIXES:
        return False
    return looks_like_dsl(text)


def read_dsl(path: str | Path, dialect: str | None = None) -> "Policy | None":
    """The policy in ``path`` when it is DSL (``dialect`` ``"dsl"``, or detected by :func:`is_dsl_source`
    when ``dialect`` is None); None for a YAML file."""
    if dialect not in (None, DIALECT):
        return None
    raw, name = read_file(path)
    text = decode_text(raw, name)
    if dialect != DIALECT and not is_dsl_source(path, text):
        return None
    from .compiler import loads_dsl

    return loads_dsl(text, name)


def base_refusal(path: str | Path) -> PolicyError:
    """Why ``--base`` does not take a DSL file: merging by name would keep the base's routes the DSL left
    out, unreported; a DSL is read whole (routing only)."""
    return PolicyError.single("dsl-base", "--base merges a YAML fragment; a DSL file is read whole (it is routing "
                              "only)", file=str(path), line=1, column=1,
                              suggestion=f"import {path} alone, then add providers to the YAML it writes")


def __getattr__(name: str) -> Any:
    """``loads_dsl`` / ``dumps_dsl``, imported on first use."""
    if name == "loads_dsl":
        from .compiler import loads_dsl

        return loads_dsl
    if name == "dumps_dsl":
        from .emitter import dumps_dsl

        return dumps_dsl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DIALECT", "base_refusal", "dumps_dsl", "is_dsl_source", "loads_dsl", "looks_like_dsl", "read_dsl"]
