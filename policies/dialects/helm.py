"""Helm values of the router's chart: the router config under ``config:`` (or ``configOverride:``).

The chart (``deploy/helm/semantic-router/values.yaml`` and ``templates/configmap.yaml`` in
``vllm-project/semantic-router``) renders ``config`` into the router's ``config.yaml``;
``configOverride``, when set, replaces it whole ("atomically replaces chart defaults", its comment).
Everything else in the values (replicas, image, probes, dashboard, ...) is deployment: kept in the
source file and written back by ``export --format helm`` (:func:`to_values`), reported on import.
A file of several documents is read from the one document that is chart values; the others are
named in a note.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..errors import Finding, PolicyError, Severity
from .base import Normalised

CONFIG_KEYS = ("configOverride", "config")  # configOverride wins when it is set


def config_key(doc: Any, is_config: Callable[[dict[str, Any]], bool]) -> str | None:
    """The key of ``doc`` holding the router config when ``doc`` is chart values; else None."""
    if not isinstance(doc, dict) or "apiVersion" in doc or "kind" in doc:
        return None
    return next((k for k in CONFIG_KEYS if isinstance(doc.get(k), dict) and doc[k] and is_config(doc[k])), None)


def values_index(docs: list[Any], is_config: Callable[[dict[str, Any]], bool]) -> int | None:
    """Index of the one document of ``docs`` that is chart values; None if none; an error if several."""
    found = [i for i, d in enumerate(docs) if config_key(d, is_config)]
    if len(found) > 1:
        raise PolicyError.single("yaml-structure", f"documents {[i + 1 for i in found]} are all chart values; "
                                 "import one at a time", path=(found[1],))
    return found[0] if found else None


def normalise(docs: list[Any], index: int, is_config: Callable[[dict[str, Any]], bool],
              inner: Callable[[dict[str, Any]], Normalised]) -> Normalised:
    """The router config of the values document ``index``, read as the layout it is written in."""
    values = docs[index]
    key = config_key(values, is_config)
    assert key is not None
    result = inner(values[key]).under((index, key))
    # last, the most general moves: each top-level block from its place under the config key (not a () prefix:
    # that would also catch the source paths of notes when they are located)
    result.moves += [((block,), (index, key, block)) for block in result.data]
    result.dialect = "helm"
    if key == "configOverride" and isinstance(values.get("config"), dict):
        result.note("not-carried", "config is not imported: the chart replaces it with configOverride",
                    (index, "config"), Severity.WARNING)
    for other in sorted(set(values) - {key, "config"}):
        result.note("helm-carried", f"'{other}' is chart deployment values, not routing: kept for export "
                    "--format helm, left out of other exports", (index, other))
    for i, doc in enumerate(docs):
        if i != index:
            kind = doc.get("kind", type(doc).__name__) if isinstance(doc, dict) else type(doc).__name__
            result.note("helm-other-document", f"document {i + 1} ({kind}) is not chart values: not imported", (i,))
    return result


def to_values(config: dict[str, Any], docs: list[Any], text: str | None,
              is_config: Callable[[dict[str, Any]], bool]) -> tuple[str, list[Finding]]:
    """Chart values holding ``config`` as YAML text: the source file with only its config changed (comments,
    order and the rest of the values kept, :func:`policies.yaml_roundtrip.patch_text`), or ``{config: ...}``."""
    from ..yaml_roundtrip import Unpatchable, patch_text
    from ..yaml_source import dump_yaml, dump_yaml_all

    index = values_index(docs, is_config) if docs else None
    if index is None:
        return dump_yaml({"config": config}), [Finding(
            "helm-new", Severity.INFO, "the policy did not come from chart values: written as {config: ...}", path=())]
    values = copy.deepcopy(docs[index])
    values[config_key(values, is_config) or "config"] = config
    if len(docs) == 1 and text is not None:
        try:
            return patch_text(text, docs[0], values), []
        except Unpatchable:
            pass
    out = [values if i == index else d for i, d in enumerate(docs)]
    return (dump_yaml(values) if len(out) == 1 else dump_yaml_all(out)), [Finding(
        "helm-rewritten", Severity.INFO, "the values file is written anew: its comments are not kept", path=())]


__all__ = ["config_key", "normalise", "to_values", "values_index"]
