"""Fragments: a file holding one part of a router config (only ``decisions:``, only signals, only ``providers:``).

A fragment is recognised by its top-level keys alone, and placed where its part sits in the
canonical layout (``decisions:`` under ``routing``, a bare signal collection under
``routing.signals``), with moves so that findings point into the fragment file. What a fragment
lacks (models, the signals its decisions name) is the business of :mod:`policies.fragments`.
"""

from __future__ import annotations

from typing import Any

from . import repository
from .base import Normalised

ROUTING_BLOCKS = frozenset({"signals", "decisions", "projections", "modelCards", "strategy"})


def _signal_collections() -> frozenset[str]:
    from ..model.signals import Signal

    return frozenset(Signal.collections())


def fragment_kind(doc: Any) -> str | None:
    """What part of a config mapping ``doc`` holds when it holds only one part; None for a whole config."""
    if not isinstance(doc, dict):
        return None
    keys = set(doc) - {"version"}  # a version beside one part still makes a fragment
    if not keys:
        return None
    if keys == {"providers"}:
        return "providers"
    if keys == {"routing"}:
        return "routing"
    if keys <= ROUTING_BLOCKS:
        return ", ".join(sorted(keys))
    if keys <= _signal_collections():
        return "signals"
    return None


def normalise(doc: dict[str, Any]) -> Normalised:
    """The fragment in its canonical place (see :func:`fragment_kind`)."""
    kind = fragment_kind(doc)
    if kind == "providers" and repository.is_repository_layout(doc):  # e.g. cut from a recipe
        result = repository.normalise(doc)
        result.dialect = "fragment"
        return result
    if kind in ("providers", "routing"):
        return Normalised(dict(doc), "fragment")
    part = {k: v for k, v in doc.items() if k != "version"}
    version = {"version": doc["version"]} if "version" in doc else {}
    if kind == "signals":
        return Normalised({**version, "routing": {"signals": part}}, "fragment",
                          moves=[(("routing", "signals", k), (k,)) for k in part])
    return Normalised({**version, "routing": part}, "fragment", moves=[(("routing", k), (k,)) for k in part])


__all__ = ["fragment_kind", "normalise"]
