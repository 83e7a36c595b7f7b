"""Input layouts we import: detect one from its keys (never from ``version``) and normalise it."""

from __future__ import annotations

from typing import Any

from ..errors import PolicyError
from . import configmap, fragments, helm, kubernetes, legacy, repository
from .base import Normalised
from .moves import move_routing_blocks

DIALECTS = ("canonical", "repository", "legacy", "kubernetes", "helm", "configmap", "fragment")
fragment_kind = fragments.fragment_kind  # never detected: a caller that accepts fragments asks for one


def detect_dialect(docs: list[Any]) -> str:
    first = docs[0]
    if any(kubernetes.is_vllm_resource(d) for d in docs):  # one of a kind we do not import is refused there
        return "kubernetes"
    if helm.values_index(docs, _has_router_keys) is not None:
        return "helm"
    if configmap.config_index(docs, _has_router_keys) is not None:
        return "configmap"
    if not isinstance(first, dict):
        raise PolicyError.single("yaml-structure", "top level must be a mapping")
    if legacy.is_legacy_layout(first):
        return "legacy"
    if repository.is_repository_layout(first):
        return "repository"
    return "canonical"


def _has_router_keys(doc: Any) -> bool:
    """Whether mapping ``doc`` uses any top-level key of a router layout (``version`` alone does not count: many
    YAML files have one)."""
    from ..model import Policy

    keys = {f.alias or n for n, f in Policy.model_fields.items()} - {"version"}
    keys |= legacy.HANDLED_KEYS | set(legacy.NOT_CARRIED)
    return isinstance(doc, dict) and bool(keys & set(doc))


def is_router_config(docs: list[Any]) -> bool:
    """Whether ``docs`` are a router config in a layout we import (Kubernetes resources, chart values, or a
    config's own keys). An import of anything else would write an empty config with a success code. A ``vllm.ai``
    resource of a kind we do not import counts, so that its import is refused naming the kind."""
    return any(kubernetes.is_vllm_resource(d) for d in docs) or helm.values_index(docs, _has_router_keys) is not None \
        or configmap.config_index(docs, _has_router_keys) is not None or (bool(docs) and _has_router_keys(docs[0]))


def normalise(docs: list[Any], dialect: str | None = None) -> Normalised:
    """Canonical spec data for ``docs`` read as ``dialect`` (auto-detected when ``None``)."""
    dialect = dialect or detect_dialect(docs)
    if dialect not in DIALECTS:
        raise PolicyError.single("unknown-dialect", f"unknown input layout '{dialect}'",
                                 suggestion=f"use one of: {', '.join(DIALECTS)}")
    if dialect == "kubernetes":  # a SemanticRouter's spec.config may be in any other layout
        return kubernetes.normalise(docs, lambda config: normalise([config]))
    if dialect == "helm":  # so may the chart's config
        index = helm.values_index(docs, _has_router_keys)
        if index is None:
            raise PolicyError.single("yaml-structure", "no document holds chart values with a router config under "
                                     "config: or configOverride:")
        return helm.normalise(docs, index, _has_router_keys, lambda config: normalise([config]))
    if dialect == "configmap":  # and so may a ConfigMap's config.yaml
        index = configmap.config_index(docs, _has_router_keys)
        if index is None:
            raise PolicyError.single("yaml-structure", "no ConfigMap holds a router config under data.config.yaml")
        return configmap.normalise(docs, index, lambda config: normalise([config]))
    if len(docs) != 1:
        raise PolicyError.single("yaml-structure", f"expected one YAML document, found {len(docs)}")
    if not isinstance(docs[0], dict):
        raise PolicyError.single("yaml-structure", "top level must be a mapping")
    if dialect == "legacy":
        return legacy.normalise(docs[0])
    if dialect == "fragment":
        return fragments.normalise(docs[0])
    if dialect == "repository":
        return move_routing_blocks(repository.normalise(docs[0]))
    return move_routing_blocks(Normalised(dict(docs[0]), "canonical"))


def to_helm_values(policy: Any, config: dict[str, Any]) -> tuple[str, list[Any]]:
    """``config`` as the chart values ``policy`` came from (its other values kept), as YAML text."""
    from .base import source_documents

    source = policy.source_map.text if policy.source_map is not None else None
    return helm.to_values(config, source_documents(policy, "helm"), source, _has_router_keys)


__all__ = ["DIALECTS", "Normalised", "detect_dialect", "fragment_kind", "is_router_config", "normalise",
           "to_helm_values"]
