"""The router's DSL (``recipe.dsl``), both ways: compile it to the policy model, write a policy as DSL.

``lexer`` -> ``parser`` (located AST) -> ``compiler`` (policy model, positions in the DSL) and
``emitter`` (policy -> DSL text, reporting what the DSL cannot hold). :func:`is_dsl_source` decides
which reader a file gets, so a YAML file is never parsed as DSL nor the reverse.
"""

from __future__ import annotations

import re
from pathlib import Path

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


__all__ = ["DIALECT", "dumps_dsl", "is_dsl_source", "loads_dsl", "looks_like_dsl"]
