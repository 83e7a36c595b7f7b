"""The legacy v0.1 flat layout (``vllm_endpoints``, ``model_config``, ``categories``, top-level ``decisions``).

Endpoints become ``backend_refs``, flat ``*_rules`` lists become ``routing.signals`` collections,
per-decision ``pii`` plugins become one ``pii`` signal per decision plus a guard decision that
blocks those requests first, and ``semantic-cache`` plugins become ``response_cache``. Every field
we cannot carry is reported as a warning naming its path.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import Severity
from .base import Normalised
from .shape import mapping, mappings, text
from .repository import CARD_FIELDS, move_card_fields, reasoning_block

SIGNAL_KEYS = {
    "keyword_rules": "keywords", "embedding_rules": "embeddings", "categories": "domains",
    "fact_check_rules": "fact_check", "user_feedback_rules": "user_feedbacks", "reask_rules": "reasks",
    "preference_rules": "preferences", "language_rules": "language", "context_rules": "context",
    "structure_rules": "structure", "complexity_rules": "complexity", "modality_rules": "modality",
}
NOT_CARRIED = ("semantic_cache", "prompt_guard", "classifier", "bert_model", "tools", "api",
               "observability", "router", "embedding_models", "looper", "response_api")
PII_GUARD_PRIORITY_GAP = 1
# the top-level keys the legacy import carries over (everything else gets a not-carried note)
HANDLED_KEYS = frozenset({"vllm_endpoints", "model_config", "default_model", "reasoning_families",
                          "default_reasoning_effort", "strategy", "decisions", *SIGNAL_KEYS})


def is_legacy_layout(data: dict[str, Any]) -> bool:
    if "routing" in data and "providers" in data:
        return False
    # top-level decisions beside a providers block are vllm-sr's own v0.1 layout (repository.py), not this one
    return any(k in data for k in ("vllm_endpoints", "model_config", "categories", "default_model")) or (
        "decisions" in data and "routing" not in data and not isinstance(data.get("providers"), dict))


def _backend_refs(model_cfg: dict[str, Any], endpoints: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    names = model_cfg.get("preferred_endpoints") or list(endpoints)
    names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else list(endpoints)
    refs = []
    for name in names:
        ep = endpoints.get(name)
        if ep is None:
            continue
        ref: dict[str, Any] = {"name": name, "provider": "vllm", "protocol": "http"}
        if ep.get("address") is not None:
            ref["endpoint"] = f"{ep['address']}:{ep['port']}" if ep.get("port") is not None else str(ep["address"])
        if ep.get("weight") is not None:
            ref["weight"] = ep["weight"]
        refs.append(ref)
    return refs


def _providers(data: dict[str, Any], result: Normalised, out: dict[str, Any]) -> dict[str, Any]:
    endpoints = {text(ep.get("name"), ("vllm_endpoints", i, "name")): ep
                 for i, ep in mappings(data.get("vllm_endpoints"), ("vllm_endpoints",))}
    families = mapping(data.get("reasoning_families"), ("reasoning_families",))
    models = []
    for name, cfg in mapping(data.get("model_config"), ("model_config",)).items():
        path = ("model_config", name)
        cfg = mapping(cfg, path)
        model: dict[str, Any] = {"name": name}
        family = cfg.get("reasoning_family")
        if family is not None:
            model["reasoning"] = reasoning_block(family, families)
        refs = _backend_refs(cfg, endpoints)
        if refs:
            model["backend_refs"] = refs
        if isinstance(cfg.get("pricing"), dict):
            model["pricing"] = dict(cfg["pricing"])
        if cfg.get("access_key"):
            result.note("not-carried", "literal access_key is never exported; set api_key_env on the backend instead",
                        path + ("access_key",), Severity.WARNING, "add api_key_env: <ENV_VAR> to each backend_ref")
        move_card_fields(out, {"name": name, **{k: cfg[k] for k in CARD_FIELDS if k in cfg}}, path, result)
        for key in sorted(set(cfg) - {"reasoning_family", "preferred_endpoints", "pricing", "access_key", *CARD_FIELDS}):
            result.note("not-carried", f"model_config field '{key}' has no place in the current layout",
                        path + (key,), Severity.WARNING)
        models.append(model)
    providers: dict[str, Any] = {"models": models}
    defaults = {}
    if data.get("default_model") is not None:
        defaults["model"] = data["default_model"]
    if data.get("default_reasoning_effort") is not None:
        defaults["reasoning_effort"] = data["default_reasoning_effort"]
    if defaults:
        providers["defaults"] = defaults
    return providers


def _convert_plugins(decision: dict[str, Any], index: int, signals: dict[str, list], result: Normalised,
                     pii_threshold: Any = None) -> str | None:
    """Rename cache plugins; turn a ``pii`` plugin into a signal (its threshold, else the global
    ``classifier.pii_model.threshold`` the legacy router applied to it). Returns the new pii signal's name."""
    kept, pii_signal = [], None
    for j, plugin in mappings(decision.get("plugins"), ("decisions", index, "plugins")):
        path = ("decisions", index, "plugins", j)
        kind = plugin.get("type")
        config = dict(mapping(plugin.get("configuration"), path + ("configuration",)))
        if kind == "pii":
            if config.get("enabled", True) is False:
                result.note("dropped", "disabled pii plugin dropped", path)
                continue
            pii_signal = f"{decision.get('name', index)}_pii"
            signal: dict[str, Any] = {"name": pii_signal, "description": f"PII guard migrated from decision "
                                      f"{decision.get('name')}"}
            if config.get("pii_types_allowed") is not None:
                signal["pii_types_allowed"] = config["pii_types_allowed"]
            threshold = config.get("threshold", pii_threshold)
            if threshold is not None:
                signal["threshold"] = threshold
            if "threshold" not in config and pii_threshold is not None:
                result.note("filled", f"pii threshold {pii_threshold} taken from classifier.pii_model.threshold",
                            path, Severity.INFO)
            signals.setdefault("pii", []).append(signal)
            result.note("migrated", f"pii plugin became signal '{pii_signal}' guarded by decision 'legacy_pii_guard'",
                        path, Severity.WARNING, "review the guard's priority and action")
        elif kind in ("semantic-cache", "semantic_cache", "response-cache"):
            kept.append({"type": "response_cache", "configuration": config})
            result.note("renamed", f"plugin '{kind}' is now 'response_cache'", path)
        else:
            kept.append(plugin)
    if kept:
        decision["plugins"] = kept
    else:
        decision.pop("plugins", None)
    return pii_signal


def normalise(data: dict[str, Any]) -> Normalised:
    src = copy.deepcopy(data)
    result = Normalised({}, "legacy")
    out = result.data
    out["version"] = "v0.3"
    out["providers"] = _providers(src, result, out)
    result.moves.append((("providers", "defaults", "model"), ("default_model",)))
    routing: dict[str, Any] = out.get("routing", {})  # modelCards from model_config card fields already in it
    if src.get("strategy") is not None:
        routing["strategy"] = src["strategy"]
    signals: dict[str, list] = {}
    for legacy_key, collection in SIGNAL_KEYS.items():
        if isinstance(src.get(legacy_key), list):
            signals[collection] = src[legacy_key]
            result.moves.append((("routing", "signals", collection), (legacy_key,)))
    for i, domain in enumerate(signals.get("domains", [])):
        if isinstance(domain, dict) and not domain.get("description"):
            domain["description"] = str(domain.get("name", ""))
            result.note("filled", "domain description is required now; filled with the domain name",
                        ("categories", i), Severity.INFO)
    decisions = [d for _, d in mappings(src.get("decisions"), ("decisions",))]
    pii_model = mapping(mapping(src.get("classifier"), ("classifier",)).get("pii_model"), ("classifier", "pii_model"))
    guards = [s for i, d in enumerate(decisions)
              if (s := _convert_plugins(d, i, signals, result, pii_model.get("threshold")))]
    if guards:
        top = max((d["priority"] for d in decisions if isinstance(d.get("priority"), int)), default=0)
        fallback = (out["providers"].get("defaults") or {}).get("model")
        guard = {"name": "legacy_pii_guard", "description": "Blocks requests with PII the legacy plugins disallowed",
                 "priority": top + PII_GUARD_PRIORITY_GAP,
                 "rules": {"operator": "OR", "conditions": [{"type": "pii", "name": s} for s in guards]},
                 "plugins": [{"type": "fast_response", "configuration": {"message": "Request blocked: it contains "
                                                                                     "personal data."}}]}
        if fallback:
            guard["modelRefs"] = [{"model": fallback, "use_reasoning": False}]
        decisions.append(guard)  # appended so source indexes (and positions) of the others stay valid
    if decisions:
        result.moves.append((("routing", "decisions"), ("decisions",)))
    if signals:
        routing["signals"] = signals
    if decisions:
        routing["decisions"] = decisions
    out["routing"] = routing
    for key in src:
        if key not in HANDLED_KEYS:
            result.note("not-carried", f"legacy top-level field '{key}' has no equivalent in the current layout "
                        "and was not imported", (key,), Severity.WARNING,
                        "configure it under 'global' in the current layout" if key in NOT_CARRIED else None)
    return result
