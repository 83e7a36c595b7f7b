"""Snapshot vllm-sr's bundled JSON Schema (and its catalog's reasoning families) into policies/data/.

``policies/validation/schema.py`` validates against this file so the engine never imports vllm-sr.
The snapshot is the wheel's ``cli/config_schema/router-config-v0.3.schema.json`` minus text that
does not validate anything (descriptions, titles, defaults, the ``x-vllm-sr`` UI catalog), with
the simple field rules of vllm-sr's pydantic layer folded in (``required`` fields, ``ge``/``gt``/
``le``/``lt`` bounds, ``Literal`` choices: found by walking ``cli.models.UserConfig`` alongside the
schema), plus ``x-routing-studio.reasoning_families`` / ``catalog_reasoning`` / ``providers`` from
the wheel's default model catalog, which vllm-sr uses to check ``modelRefs`` reasoning settings and
backend providers. Re-run after an upgrade:
``pip install vllm-sr==X && python scripts/snapshot_vllm_sr_schema.py``.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parents[1] / "policies" / "data" / "vllm_sr_schema.json"
SCHEMA_FILE = "router-config-v0.3.schema.json"
# Annotation keywords; everything else in the schema constrains values and is kept.
_DROP = {"description", "title", "default", "$schema", "$id", "x-vllm-sr"}


def compact(node: Any, parent_key: str | None = None) -> Any:
    """The schema without annotations; property *names* are kept even when they look like keywords."""
    if isinstance(node, list):
        return [compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    if parent_key in ("properties", "$defs"):
        return {key: compact(value) for key, value in node.items()}
    return {key: compact(value, key) for key, value in node.items() if key not in _DROP}


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and len(node) == 1:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _models_in(annotation: Any) -> list[type]:
    """Pydantic model classes inside an annotation (through Optional, List, Dict, unions)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _literal_choices(annotation: Any) -> list[Any] | None:
    """The choices of ``Literal[...]`` / an ``Enum``, possibly inside ``Optional``; else None."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [m.value for m in annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _literal_choices(args[0])
    return None


_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def fold_pydantic(model: type, node: dict[str, Any], defs: dict[str, Any], seen: set[tuple[str, int]]) -> None:
    """Add the pydantic model's required fields, numeric bounds and literal choices to its schema node."""
    node = _resolve(node, defs)
    if (model.__name__, id(node)) in seen or "properties" not in node:
        return
    seen.add((model.__name__, id(node)))
    for name, field in model.model_fields.items():
        key = field.alias or name
        prop = node["properties"].get(key)
        if prop is None:
            continue
        if field.is_required() and key not in node.get("required", []):
            node.setdefault("required", []).append(key)
        for meta in field.metadata:
            for attr, keyword in _BOUNDS.items():
                if getattr(meta, attr, None) is not None and prop.get("type") in ("integer", "number"):
                    prop[keyword] = getattr(meta, attr)
        choices = _literal_choices(field.annotation)
        if choices and prop.get("type") == "string" and "enum" not in prop:
            prop["enum"] = choices
        for inner in _models_in(field.annotation):
            target = _resolve(prop, defs)
            target = _resolve(target.get("items", target), defs)
            extra = target.get("additionalProperties")
            if isinstance(extra, dict) and "properties" not in target:
                target = extra
            fold_pydantic(inner, target, defs, seen)


def fold_plugin_configs(schema: dict[str, Any]) -> None:
    """Plugin ``configuration`` blocks are pydantic-checked per type (cli.validator's model map)."""
    import cli.validator as validator

    models = {name.removesuffix("PluginConfig"): cls for name, cls in vars(validator).items()
              if name.endswith("PluginConfig") and isinstance(cls, type)}
    for rule in schema["$defs"]["DecisionPlugin"].get("allOf", []):
        ref = rule["then"]["properties"]["configuration"]["$ref"].rsplit("/", 1)[-1]
        model = models.get(ref.removesuffix("PluginConfig"))
        if model is not None:
            fold_pydantic(model, schema["$defs"][ref], schema["$defs"], set())


def reasoning_catalog() -> dict[str, Any]:
    """Reasoning families and catalog model -> family, from the wheel's default model catalog."""
    from cli.model_catalog import DEFAULT_CHANNEL

    text = resources.files("cli.model_assets").joinpath(DEFAULT_CHANNEL, "catalog.yaml").read_text()
    catalog = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    families = {f["id"]: {k: v for k, v in f.items() if k != "id"} for f in catalog.get("reasoning_families", [])}
    models = {m["id"]: m["reasoning_family"] for m in catalog.get("models", []) if m.get("reasoning_family")}
    providers = sorted(p["id"] for p in catalog.get("providers", []) if isinstance(p, dict) and "id" in p)
    return {"catalog_channel": DEFAULT_CHANNEL, "reasoning_families": families, "catalog_reasoning": models,
            "providers": providers}


def main() -> None:
    schema = json.loads(resources.files("cli.config_schema").joinpath(SCHEMA_FILE).read_text())
    out = compact(schema)
    from cli.models import UserConfig

    fold_pydantic(UserConfig, out, out["$defs"], set())
    fold_plugin_configs(out)
    out["x-routing-studio"] = {"source": f"vllm-sr=={metadata.version('vllm-sr')} cli/config_schema/{SCHEMA_FILE}",
                               "licence": "Apache-2.0", **reasoning_catalog()}
    OUT.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
