"""A Kubernetes ``ConfigMap`` holding the router config as text under ``data`` (``config.yaml``).

The router's own KServe manifests ship their config this way (``deploy/kserve/configmap-router-config.yaml``
in ``vllm-project/semantic-router``: ``data: {config.yaml: "version: v0.3 ..."}``), as does the chart's
rendered ``templates/configmap.yaml``. The embedded text is read as the layout it is written in; the
ConfigMap's other keys and documents are named in notes.
"""

from __future__ import annotations

from typing import Any, Callable

import yaml

from ..errors import PolicyError
from .base import Normalised

CONFIG_KEYS = ("config.yaml", "config.yml")


def _inner_text(doc: Any) -> tuple[str, str] | None:
    """(data key, text) of the router config inside ConfigMap ``doc``; None when ``doc`` holds none."""
    if not (isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and isinstance(doc.get("data"), dict)):
        return None
    return next(((k, doc["data"][k]) for k in CONFIG_KEYS if isinstance(doc["data"].get(k), str)), None)


def config_index(docs: list[Any], is_config: Callable[[dict[str, Any]], bool]) -> int | None:
    """Index of the first ConfigMap of ``docs`` whose ``config.yaml`` is a router config; None if there is none."""
    for i, doc in enumerate(docs):
        found = _inner_text(doc)
        if found is None:
            continue
        try:
            inner = yaml.safe_load(found[1])
        except yaml.YAMLError:
            continue  # not this document: the caller reports the file as no router config
        if isinstance(inner, dict) and is_config(inner):
            return i
    return None


def normalise(docs: list[Any], index: int, inner: Callable[[dict[str, Any]], Normalised]) -> Normalised:
    """The router config embedded in ConfigMap ``docs[index]``, read as the layout it is written in."""
    found = _inner_text(docs[index])
    assert found is not None
    key, text = found
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # config_index already parsed it; kept for direct callers
        raise PolicyError.single("yaml-syntax", f"data.{key} is not valid YAML: {exc}", path=(index, "data", key))
    result = inner(config).under((index, "data", key))
    # positions inside the block scalar are not tracked: findings point at the data key
    result.moves += [((block,), (index, "data", key)) for block in result.data]
    result.dialect = "configmap"
    for other in sorted(set(docs[index]["data"]) - {key}):
        result.note("configmap-other-key", f"data key '{other}' is not the router config: not imported",
                    (index, "data", other))
    for i, doc in enumerate(docs):
        if i != index:
            kind = doc.get("kind", type(doc).__name__) if isinstance(doc, dict) else type(doc).__name__
            result.note("configmap-other-document", f"document {i + 1} ({kind}) is not the router config: "
                        "not imported", (i,))
    return result


__all__ = ["config_index", "normalise"]
