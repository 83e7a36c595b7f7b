"""The router's DSL (``recipe.dsl``), both ways: compile it to the policy model, write a policy as DSL.

``lexer`` -> ``parser`` (located AST) -> ``compiler`` (policy model, positions in the DSL) and
``emitter`` (policy -> DSL text, reporting what the DSL cannot hold). :func:`is_dsl_source` decides
which reader a file gets, so a YAML file is never parsed as DSL nor the reverse.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import PolicyError
from ..model import Policy
from ..yaml_source import decode_text, read_file
from .compiler import DIALECT, loads_dsl
from .emitter import dumps_dsl

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


def read_dsl(path: str | Path, dialect: str | None = None) -> Policy | None:
    """The policy in ``path`` when it is DSL (``dialect`` ``"dsl"``, or detected by :func:`is_dsl_source`
    when ``dialect`` is None); None for a YAML file."""
    if dialect not in (None, DIALECT):
        return None
    raw, name = read_file(path)
    text = decode_text(raw, name)
    return loads_dsl(text, name) if dialect == DIALECT or is_dsl_source(path, text) else None


def base_refusal(path: str | Path) -> PolicyError:
    """Why ``--base`` does not take a DSL file: merging by name would keep the base's routes the DSL left
    out, unreported; a DSL is read whole (routing only)."""
    return PolicyError.single("dsl-base", "--base merges a YAML fragment; a DSL file is read whole (it is routing "
                              "only)", file=str(path), line=1, column=1,
                              suggestion=f"import {path} alone, then add providers to the YAML it writes")


__all__ = ["DIALECT", "base_refusal", "dumps_dsl", "is_dsl_source", "loads_dsl", "looks_like_dsl", "read_dsl"]
