"""Input layouts we import: detect one from its keys (never from ``version``) and normalise it."""

from __future__ import annotations

from typing import Any

from ..errors import PolicyError
from . import kubernetes, legacy, repository
from .base import Normalised
from .moves import move_routing_blocks

DIALECTS = ("canonical", "repository", "legacy", "kubernetes")


def detect_dialect(docs: list[Any]) -> str:
    first = docs[0]
    if any(kubernetes.is_kubernetes(d) for d in docs):
        return "kubernetes"
    if not isinstance(first, dict):
        raise PolicyError.single("yaml-structure", "top level must be a mapping")
    if legacy.is_legacy_layout(first):
        return "legacy"
    if repository.is_repository_layout(first):
        return "repository"
    return "canonical"


def is_router_config(docs: list[Any]) -> bool:
    """Whether ``docs`` use any top-level key of a router layout (``version`` alone does not count: many
    YAML files have one). An import of anything else would write an empty config with a success code."""
    from ..model import Policy

    keys = {f.alias or n for n, f in Policy.model_fields.items()} - {"version"}
    keys |= legacy.HANDLED_KEYS | set(legacy.NOT_CARRIED)
    return any(kubernetes.is_kubernetes(d) for d in docs) or (
        bool(docs) and isinstance(docs[0], dict) and bool(keys & set(docs[0])))


def normalise(docs: list[Any], dialect: str | None = None) -> Normalised:
    """Canonical spec data for ``docs`` read as ``dialect`` (auto-detected when ``None``)."""
    dialect = dialect or detect_dialect(docs)
    if dialect not in DIALECTS:
        raise PolicyError.single("unknown-dialect", f"unknown input layout '{dialect}'",
                                 suggestion=f"use one of: {', '.join(DIALECTS)}")
    if dialect == "kubernetes":
        return kubernetes.normalise(docs)
    if len(docs) != 1:
        raise PolicyError.single("yaml-structure", f"expected one YAML document, found {len(docs)}")
    if not isinstance(docs[0], dict):
        raise PolicyError.single("yaml-structure", "top level must be a mapping")
    if dialect == "legacy":
        return legacy.normalise(docs[0])
    if dialect == "repository":
        return move_routing_blocks(repository.normalise(docs[0]))
    return move_routing_blocks(Normalised(dict(docs[0]), "canonical"))


__all__ = ["DIALECTS", "Normalised", "detect_dialect", "is_router_config", "normalise"]
