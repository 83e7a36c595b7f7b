"""The Aug-2026 repository layout (CLI 0.3.0): same ``version: v0.3`` but older provider keys.

Normalised to 0.4.0: ``default_model`` → ``defaults.model``; ``reasoning_families`` plus
per-model ``reasoning_family`` → inline per-model ``reasoning``; ``backend_refs[].type`` →
``provider``. ``modelCards[].quality_score`` and plugin ``image_gen`` stay in the model (0.4.0
accepts neither: the exporter leaves the first out with a note and refuses the second).

Also vllm-sr's own earlier user layout (``version: v0.1``, ``src/vllm-sr/config.yaml`` and
``cli/templates/config.template.yaml`` in ``vllm-project/semantic-router``): the same keys directly
under ``providers`` instead of ``providers.defaults``, ``providers.models[].endpoints`` instead of
``backend_refs``, and card fields (``param_size``, ``description``...) on the provider model. Moved as
vllm-sr 0.4.0's ``config migrate`` does (``cli/config_migration.py``: ``_persist_provider_models``,
``_migrate_legacy_endpoints_to_backend_refs``, ``_populate_semantic_model_fields``), except that a
literal ``access_key`` is not copied into the export (the legacy importer's rule: use ``api_key_env``).
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import Severity
from ..labels import BUILTIN_REASONING_FAMILIES
from .base import Normalised

MARKERS = ("default_model", "reasoning_families", "default_reasoning_effort")
# provider-model fields vllm-sr's migration moves onto the model's routing.modelCards entry
CARD_FIELDS = ("param_size", "context_window_size", "description", "capabilities", "loras", "quality_score",
               "modality", "tags")


def is_repository_layout(data: dict[str, Any]) -> bool:
    providers = data.get("providers")
    if not isinstance(providers, dict):
        return False
    defaults = providers.get("defaults")
    if any(k in providers for k in MARKERS) or (isinstance(defaults, dict) and any(k in defaults for k in MARKERS)):
        return True
    models = providers.get("models")
    return isinstance(models, list) and any(
        isinstance(m, dict) and ("reasoning_family" in m or "endpoints" in m) for m in models)


def _lift_provider_keys(providers: dict[str, Any], result: Normalised) -> None:
    """v0.1: ``providers.default_model`` and friends → ``providers.defaults`` (where defaults has none of its own)."""
    for key in MARKERS:
        if key not in providers:
            continue
        defaults = providers.setdefault("defaults", {})
        if not isinstance(defaults, dict) or key in defaults:
            result.note("not-carried", f"providers.{key} was not imported: providers.defaults.{key} is already set",
                        ("providers", key), Severity.WARNING)
            del providers[key]
            continue
        defaults[key] = providers.pop(key)
        result.moves.append((("providers", "defaults", key), ("providers", key)))


def _endpoints_to_backend_refs(model: dict[str, Any], path: tuple, result: Normalised) -> None:
    """v0.1: ``endpoints[]`` (name, endpoint, protocol, weight, type) → ``backend_refs[]``."""
    endpoints = model.pop("endpoints")
    if not isinstance(endpoints, list) or "backend_refs" in model:
        result.note("not-carried", "endpoints were not imported" + (": backend_refs is already set"
                    if "backend_refs" in model else ": not a list"), path + ("endpoints",), Severity.WARNING)
        return
    refs = []
    for endpoint in endpoints:
        if isinstance(endpoint, dict) and endpoint.get("endpoint"):
            ref = {"name": endpoint.get("name") or "primary"}
            ref.update({k: endpoint[k] for k in ("endpoint", "protocol", "weight", "type") if endpoint.get(k)
                        not in (None, "", [])})
            refs.append(ref)
    model["backend_refs"] = refs
    result.moves.append((path + ("backend_refs",), path + ("endpoints",)))
    result.note("renamed", "endpoints are now backend_refs", path + ("endpoints",))


def move_card_fields(out: dict[str, Any], model: dict[str, Any], path: tuple, result: Normalised) -> None:
    """Card fields on a provider model (v0.1) or a legacy ``model_config`` entry → the model's ``routing.modelCards``
    entry (kept where the card has its own), with a note at each field's source."""
    fields = {k: model.pop(k) for k in CARD_FIELDS if k in model}
    if not fields:
        return
    routing = out.setdefault("routing", {})
    cards = routing.setdefault("modelCards", []) if isinstance(routing, dict) else None
    if not isinstance(cards, list):
        return  # a malformed routing block is reported by validation at its place
    card = next((c for c in cards if isinstance(c, dict) and c.get("name") == model.get("name")), None)
    if card is None:
        card = {"name": model.get("name")}
        cards.append(card)
    for key, value in fields.items():
        card.setdefault(key, value)
        result.note("moved", f"model field '{key}' moved to its routing.modelCards entry", path + (key,))


def reasoning_block(family: str, families: dict[str, Any]) -> dict[str, Any]:
    """``{family}`` for a family 0.4.0 knows; otherwise the repository's definition inlined.

    An inline block without ``modes`` is always-on in 0.4.0, whereas repository families could be
    toggled per request, so inlined blocks get ``modes: [enabled, disabled]`` unless they say otherwise.
    """
    if family in BUILTIN_REASONING_FAMILIES or not isinstance(families.get(family), dict):
        return {"family": family}
    block = dict(families[family])
    block.setdefault("modes", ["enabled", "disabled"])
    return block


def normalise(data: dict[str, Any]) -> Normalised:
    out = copy.deepcopy(data)
    result = Normalised(out, "repository")
    # malformed blocks stay where they are, for validation to report at their place
    if out.get("version") == "v0.1":  # vllm-sr's migration writes its CANONICAL_VERSION for any input
        out["version"] = "v0.3"
        result.note("renamed", "version v0.1 is now v0.3 (the layout is converted to it)", ("version",))
    providers = out["providers"] if isinstance(out.get("providers"), dict) else {}
    _lift_provider_keys(providers, result)
    defaults = providers["defaults"] if isinstance(providers.get("defaults"), dict) else {}
    families = defaults.pop("reasoning_families") if isinstance(defaults.get("reasoning_families"), dict) else {}
    if "default_model" in defaults:
        defaults.setdefault("model", defaults.pop("default_model"))
        result.note("renamed", "providers.defaults.default_model is now providers.defaults.model",
                    ("providers", "defaults", "default_model"))
    if "default_reasoning_effort" in defaults:
        defaults.setdefault("reasoning_effort", defaults.pop("default_reasoning_effort"))
        result.note("renamed", "default_reasoning_effort is now providers.defaults.reasoning_effort",
                    ("providers", "defaults", "default_reasoning_effort"))
    for i, model in enumerate(providers.get("models") or []):
        if not isinstance(model, dict):
            continue
        if "endpoints" in model:
            _endpoints_to_backend_refs(model, ("providers", "models", i), result)
        if model.get("access_key"):
            del model["access_key"]
            result.note("not-carried", "literal access_key is never exported; set api_key_env on the backend "
                        "instead", ("providers", "models", i, "access_key"), Severity.WARNING,
                        "add api_key_env: <ENV_VAR> to each backend_ref")
        move_card_fields(out, model, ("providers", "models", i), result)
        family = model.get("reasoning_family")
        if isinstance(family, str):
            del model["reasoning_family"]
            path = ("providers", "models", i, "reasoning_family")
            model["reasoning"] = reasoning_block(family, families)
            how = "is now reasoning.family" if "family" in model["reasoning"] else "was inlined into reasoning"
            result.note("renamed", f"reasoning_family '{family}' {how}", path)
        for j, ref in enumerate(model.get("backend_refs") or []):
            if isinstance(ref, dict) and "type" in ref:
                kind = ref.pop("type")
                ref.setdefault("provider", kind)
                result.note("renamed", f"backend_refs[].type '{kind}' is now provider",
                            ("providers", "models", i, "backend_refs", j, "type"))
    return result
