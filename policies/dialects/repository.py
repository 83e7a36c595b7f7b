"""The Aug-2026 repository layout (CLI 0.3.0): same ``version: v0.3`` but older provider keys.

Normalised to 0.4.0: ``default_model`` → ``defaults.model``; ``reasoning_families`` plus
per-model ``reasoning_family`` → inline per-model ``reasoning``; ``backend_refs[].type`` →
``provider``. ``modelCards[].quality_score`` and plugin ``image_gen`` stay in the model (0.4.0
accepts neither: the exporter leaves the first out with a note and refuses the second).
"""

from __future__ import annotations

import copy
from typing import Any

from ..labels import BUILTIN_REASONING_FAMILIES
from .base import Normalised

MARKERS = ("default_model", "reasoning_families", "default_reasoning_effort")


def is_repository_layout(data: dict[str, Any]) -> bool:
    providers = data.get("providers")
    if not isinstance(providers, dict):
        return False
    defaults = providers.get("defaults")
    if isinstance(defaults, dict) and any(k in defaults for k in MARKERS):
        return True
    models = providers.get("models")
    return isinstance(models, list) and any(isinstance(m, dict) and "reasoning_family" in m for m in models)


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
    providers = out["providers"] if isinstance(out.get("providers"), dict) else {}
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
