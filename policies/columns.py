"""Column names shared by simulation, conflict analysis and the widgets.

A simulated traffic table carries, per request, one boolean ``fired`` column and one float
``confidence`` column per rule leaf (see :func:`policies.evaluate.leaf_key`), one boolean
``match`` column per decision, and per-model counterfactual outcome columns. Naming them in one
place keeps every consumer reading the same columns.
"""

from __future__ import annotations

from .evaluate import LeafKey

SEP = "::"


def fired_column(key: LeafKey) -> str:
    """Bool: the leaf's signal fired for the request."""
    return SEP.join(("fired",) + tuple(key))


def confidence_column(key: LeafKey) -> str:
    """Float (null for crisp signals): the leaf's score."""
    return SEP.join(("conf",) + tuple(key))


def match_column(decision: str) -> str:
    """Bool: the decision's rule tree is true for the request."""
    return f"match{SEP}{decision}"


def outcome_column(kind: str, model: str) -> str:
    """Float: counterfactual ``cost``, ``latency`` or ``quality`` had ``model`` served the request."""
    return SEP.join((kind, model))


def parse_column(name: str) -> tuple[str, ...]:
    """Inverse of the builders: ``"fired::domain::math"`` → ``("fired", "domain", "math")``."""
    return tuple(name.split(SEP))
