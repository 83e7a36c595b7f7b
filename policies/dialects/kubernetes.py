"""Kubernetes forms: the ``IntelligentPool`` + ``IntelligentRoute`` pair, and ``SemanticRouter``.

The pair is flat (camelCase, per-token prices, conditions without nesting, one model per
decision, no tiers or algorithms). Import maps it into the canonical model; export maps back
and refuses, with a named reason per decision or signal, whatever the pair cannot express.
``SemanticRouter`` (:mod:`.semantic_router`) wraps a whole config and so always fits. Exports keep the
source's metadata (name, namespace, labels, annotations).
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import Finding, PolicyError, Severity
from ..model import Policy
from . import semantic_router
from .base import Normalised, source_documents
from .shape import mapping, mappings, number

API_VERSION = "vllm.ai/v1alpha1"
KINDS = ("IntelligentPool", "IntelligentRoute", "SemanticRouter")
# Route signal collections: CRD key -> (canonical collection, CRD field -> canonical field).
ROUTE_SIGNALS: dict[str, tuple[str, dict[str, str]]] = {
    "keywords": ("keywords", {"caseSensitive": "case_sensitive"}),
    "embeddings": ("embeddings", {"aggregationMethod": "aggregation_method", "queryModality": "query_modality"}),
    "domains": ("domains", {}),
    "contextRules": ("context", {"minTokens": "min_tokens", "maxTokens": "max_tokens"}),
    "structure": ("structure", {}),
    "factCheckRules": ("fact_check", {}),
    "conversation": ("conversation", {}),
    "events": ("events", {"eventTypes": "event_types", "actionCodes": "action_codes"}),
}
# The fields each Route signal item has in crds/vllm.ai_intelligentroutes.yaml (anything else is pruned by the
# API server, so an export refuses it by name instead).
ROUTE_SIGNAL_FIELDS = {
    "keywords": {"name", "operator", "keywords", "caseSensitive"},
    "embeddings": {"name", "threshold", "candidates", "aggregationMethod", "queryModality"},
    "domains": {"name", "description"},
    "contextRules": {"name", "description", "minTokens", "maxTokens"},
    "structure": {"name", "description", "feature", "predicate"},
    "factCheckRules": {"name", "description"},
    "conversation": {"name", "description", "feature", "predicate"},
    "events": {"name", "description", "eventTypes", "severities", "actionCodes", "temporal"},
}
MODEL_REF_CRD_FIELDS = {"model", "loraName", "useReasoning", "reasoningEffort", "reasoningDescription"}
CONDITION_TYPES = ("keyword", "embedding", "domain", "fact_check", "context", "structure", "conversation", "event")
PRICE_FIELDS = {"prompt_per_1m": "inputTokenPrice", "completion_per_1m": "outputTokenPrice",
                "cached_input_per_1m": "cachedInputTokenPrice", "cache_write_per_1m": "cacheWriteTokenPrice"}
MODEL_REF_FIELDS = {"model": "model", "lora_name": "loraName", "use_reasoning": "useReasoning",
                    "reasoning_mode": "reasoningMode", "reasoning_effort": "reasoningEffort",
                    "reasoning_description": "reasoningDescription"}
MAX_DECISIONS, MAX_CONDITIONS, MAX_PLUGINS, MAX_MODELS, MAX_DOMAINS = 100, 50, 10, 100, 14


def _price(value: float, scale: float) -> float:
    """Per-token <-> per-million conversion without float noise (0.18 stays 0.18)."""
    return float(f"{value * scale:.12g}")


def _rename(item: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    return {mapping.get(k, k): v for k, v in item.items()}


def is_vllm_resource(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("vllm.ai/")


def is_kubernetes(doc: Any) -> bool:
    return is_vllm_resource(doc) and doc.get("kind") in KINDS


def refuse_unknown_kinds(docs: list[Any]) -> None:
    """A ``vllm.ai`` resource of another kind is refused by name, never read as an empty canonical config.

    The router's repository also holds ``SemanticRoute`` resources (``examples/semanticroute/``, CRD
    ``deploy/kubernetes/crds/vllm.ai_semanticroutes.yaml``): rules of intents with per-rule model
    addresses, a schema with no decisions, signals or providers that the router's config reads.
    """
    for i, doc in enumerate(docs):
        if is_vllm_resource(doc) and doc.get("kind") not in KINDS:
            raise PolicyError.single("k8s-kind", f"{doc.get('apiVersion')} {doc.get('kind')} is not a resource we "
                                     f"import: only {', '.join(KINDS)} carry a router config", path=(i, "kind"),
                                     suggestion="rewrite it as an IntelligentPool + IntelligentRoute pair")


# -- import ---------------------------------------------------------------------------------
def _pool_to_providers(pool: dict[str, Any], result: Normalised, doc: int) -> tuple[dict[str, Any], list[dict]]:
    spec = mapping(pool.get("spec"), (doc, "spec"))
    models, cards = [], []
    for i, m in mappings(spec.get("models"), (doc, "spec", "models")):
        model: dict[str, Any] = {"name": m.get("name")}
        if m.get("catalog") is not None:
            model["catalog"] = m["catalog"]
        if isinstance(m.get("reasoning"), dict):
            model["reasoning"] = dict(m["reasoning"])
        elif m.get("reasoningFamily") is not None:
            model["reasoning"] = {"family": m["reasoningFamily"]}
            result.note("renamed", "reasoningFamily is now reasoning.family", (doc, "spec", "models", i))
        if m.get("pricing") is not None:
            price = mapping(m["pricing"], (doc, "spec", "models", i, "pricing"))
            pricing: dict[str, Any] = {}
            if price.get("currency") is not None:
                pricing["currency"] = price["currency"]
            for canonical, crd in PRICE_FIELDS.items():
                if price.get(crd) is not None:
                    value = number(price[crd], (doc, "spec", "models", i, "pricing", crd))
                    pricing[canonical] = _price(value, 1e6)
            model["pricing"] = pricing
        if m.get("loras"):
            cards.append({"name": m.get("name"), "loras": m["loras"]})
        models.append(model)
    providers: dict[str, Any] = {"models": models}
    if spec.get("defaultModel") is not None:
        providers["defaults"] = {"model": spec["defaultModel"]}
    return providers, cards


def _route_to_routing(route: dict[str, Any], doc: int) -> dict[str, Any]:
    spec = mapping(route.get("spec"), (doc, "spec"))
    crd_signals = mapping(spec.get("signals"), (doc, "spec", "signals"))
    signals: dict[str, list] = {}
    for crd_key, (collection, fields) in ROUTE_SIGNALS.items():
        items = mappings(crd_signals.get(crd_key), (doc, "spec", "signals", crd_key))
        if items:
            signals[collection] = [_rename(s, fields) for _, s in items]
    decisions = []
    reverse = {v: k for k, v in MODEL_REF_FIELDS.items()}
    for i, d in mappings(spec.get("decisions"), (doc, "spec", "decisions")):
        decision = {k: v for k, v in d.items() if k not in ("signals", "modelRefs")}
        if d.get("signals") is not None:
            decision["rules"] = dict(mapping(d["signals"], (doc, "spec", "decisions", i, "signals")))
        if d.get("modelRefs") is not None:
            refs = mappings(d["modelRefs"], (doc, "spec", "decisions", i, "modelRefs"))
            decision["modelRefs"] = [_rename(r, reverse) for _, r in refs]
        decisions.append(decision)
    routing: dict[str, Any] = {}
    if signals:
        routing["signals"] = signals
    if decisions:
        routing["decisions"] = decisions
    return routing


def normalise(docs: list[Any], inner: semantic_router.Inner) -> Normalised:
    """A ``SemanticRouter`` (:mod:`.semantic_router`), or a Pool + Route pair (either order, one of each) → canonical
    data; other documents in the file (Deployments, Services, ...) are named in a note, never silently skipped."""
    refuse_unknown_kinds(docs)
    by_kind: dict[str, tuple[int, dict]] = {}
    for i, doc in enumerate(docs):
        if is_kubernetes(doc):
            if doc["kind"] in by_kind:
                raise PolicyError.single("k8s-structure", f"more than one {doc['kind']} in the file", path=(i, "kind"))
            by_kind[doc["kind"]] = (i, doc)
    if "SemanticRouter" in by_kind:
        result = semantic_router.normalise(docs, by_kind["SemanticRouter"][0], inner)
        # and the ConfigMap its spec.bootstrap names, whose blocks the moves trace back to it
        used = {by_kind["SemanticRouter"][0]} | {source[0] for _, source in result.moves if source}
    else:
        result = _pair(docs, by_kind)
        used = {i for i, _ in by_kind.values()}
    for i, doc in enumerate(docs):
        if i not in used:
            kind = doc.get("kind", "?") if isinstance(doc, dict) else type(doc).__name__
            name = (doc.get("metadata") or {}).get("name", "") if isinstance(doc, dict) and isinstance(
                doc.get("metadata"), dict) else ""
            result.note("k8s-other-document", f"document {i + 1} ({kind} {name}) is not part of the routing policy: "
                        "not imported", (i,))
    return result


def _pair(docs: list[Any], by_kind: dict[str, tuple[int, dict]]) -> Normalised:
    result = Normalised({"version": "v0.3"}, "kubernetes")
    if "IntelligentRoute" not in by_kind:
        raise PolicyError.single("k8s-structure", "an IntelligentRoute is required (with an IntelligentPool for models)",
                                 suggestion="put the IntelligentPool and IntelligentRoute in one file, separated by ---")
    if "IntelligentPool" in by_kind:
        i, pool = by_kind["IntelligentPool"]
        providers, cards = _pool_to_providers(pool, result, i)
        result.data["providers"] = providers
        result.moves.append((("providers",), (i, "spec")))
    else:
        cards = []
        result.note("k8s-no-pool", "no IntelligentPool: models and default model are unknown", (),
                    Severity.WARNING, "add the IntelligentPool document")
    i, route = by_kind["IntelligentRoute"]
    routing = _route_to_routing(route, i)
    if cards:
        routing["modelCards"] = cards
    result.data["routing"] = routing
    result.moves.append((("routing", "decisions"), (i, "spec", "decisions")))
    result.moves.append((("routing", "signals"), (i, "spec", "signals")))
    return result


# -- export ---------------------------------------------------------------------------------
def fit_findings(policy: Policy) -> list[Finding]:
    """Everything in ``policy`` the Pool + Route pair cannot express, each with a reason."""
    out: list[Finding] = []

    def refuse(message: str, path: tuple) -> None:
        out.append(policy.locate(Finding("k8s-unsupported", Severity.ERROR, message, path=path,
                                         suggestion="export with --format k8s-semanticrouter, which wraps the "
                                                    "whole config")))

    for i, m in enumerate(policy.providers.models if policy.providers else []):
        # The pool's model has name, reasoningFamily, pricing and loras only (crds/vllm.ai_intelligentpools.yaml).
        if m.reasoning and set(m.reasoning) != {"family"}:
            refuse(f"model '{m.name}' has inline reasoning settings; the CRD takes only a reasoningFamily name",
                   ("providers", "models", i, "reasoning"))
        if m.catalog:
            refuse(f"model '{m.name}' names catalog '{m.catalog}'; the CRD has no catalog field",
                   ("providers", "models", i, "catalog"))
    routing = policy.routing
    if policy.recipes:
        refuse("recipes have no CRD form", ("recipes",))
    if routing is None:
        return out
    if routing.projections and routing.projections.to_spec():
        refuse("projections have no CRD form", ("routing", "projections"))
    for collection, signal in routing.all_signals():
        if collection not in {c for c, _ in ROUTE_SIGNALS.values()}:
            refuse(f"{collection} signals have no CRD form (only {', '.join(CONDITION_TYPES)})",
                   ("routing", "signals", collection))
            break
    for i, (_, signal) in enumerate(s for s in routing.all_signals() if s[0] == "embeddings"):
        if signal.threshold is not None and not 0 <= signal.threshold <= 1:
            refuse(f"embedding '{signal.name}' threshold {signal.threshold} is outside the CRD's 0..1",
                   ("routing", "signals", "embeddings", i, "threshold"))
    for crd_key, (collection, fields) in ROUTE_SIGNALS.items():
        reverse = {v: k for k, v in fields.items()}
        for i, signal in enumerate((getattr(routing.signals, collection, None) if routing.signals else None) or []):
            extra = sorted(set(_rename(signal.to_spec(), reverse)) - ROUTE_SIGNAL_FIELDS[crd_key])
            if extra:
                refuse(f"{collection} signal '{signal.name}' fields {extra} have no place in the CRD's {crd_key}",
                       ("routing", "signals", collection, i, fields.get(extra[0], extra[0])))
    if len((routing.signals.domains if routing.signals else None) or []) > MAX_DOMAINS:
        refuse(f"the CRD allows at most {MAX_DOMAINS} domains", ("routing", "signals", "domains"))
    decisions = routing.all_decisions()
    if not decisions or len(decisions) > MAX_DECISIONS:
        refuse(f"the CRD needs 1..{MAX_DECISIONS} decisions, this policy has {len(decisions)}", ("routing", "decisions"))
    for i, d in enumerate(decisions):
        base = ("routing", "decisions", i)
        if d.tier:
            refuse(f"decision '{d.name}' has tier {d.tier}; the CRD has no tiers", base + ("tier",))
        if not 0 <= d.effective_priority <= 1000:
            refuse(f"decision '{d.name}' priority {d.priority} is outside the CRD's 0..1000", base + ("priority",))
        if d.algorithm is not None and d.algorithm.type != "static":
            refuse(f"decision '{d.name}' uses algorithm '{d.algorithm.type}'; the CRD has no algorithms",
                   base + ("algorithm",))
        if len(d.model_refs or []) != 1:
            refuse(f"decision '{d.name}' has {len(d.model_refs or [])} models; the CRD takes exactly one",
                   base + ("modelRefs",))
        if len(d.plugins or []) > MAX_PLUGINS:
            refuse(f"decision '{d.name}' has more than {MAX_PLUGINS} plugins", base + ("plugins",))
        extra = sorted(set(d.extra_fields()))
        if extra:
            refuse(f"decision '{d.name}' fields {extra} have no CRD form", base + (extra[0],))
        for j, ref in enumerate(d.to_spec().get("modelRefs") or []):
            extra = sorted(set(_rename(ref, MODEL_REF_FIELDS)) - MODEL_REF_CRD_FIELDS)
            if extra:
                refuse(f"decision '{d.name}' modelRefs[{j}] fields {extra} have no CRD form",
                       base + ("modelRefs", j))
        rules = d.rules
        if rules is None or rules.is_catch_all:
            continue
        children = [rules] if rules.is_leaf else rules.children()
        if any(not c.is_leaf for c in children):
            refuse(f"decision '{d.name}' has a nested rule tree; CRD conditions are flat", base + ("rules",))
        if len(children) > MAX_CONDITIONS:
            refuse(f"decision '{d.name}' has more than {MAX_CONDITIONS} conditions", base + ("rules",))
        for j, c in enumerate(children):
            if c.is_leaf and c.type not in CONDITION_TYPES:
                refuse(f"decision '{d.name}' uses a '{c.type}' condition; the CRD allows {', '.join(CONDITION_TYPES)}",
                       base + ("rules", "conditions", j))
    return out


def dropped_by_pair(policy: Policy) -> list[Finding]:
    """Deployment data the pair leaves to other resources (backends, listeners, global): said, not hidden."""
    notes = []
    spec = policy.to_spec()
    for key in ("listeners", "global", "entrypoints", "evaluation"):
        if spec.get(key):
            notes.append(Finding("k8s-not-in-pair", Severity.INFO, f"'{key}' is not part of the Pool/Route pair",
                                 path=(key,)))
    if any(m.backend_refs for m in (policy.providers.models if policy.providers else [])):
        notes.append(Finding("k8s-not-in-pair", Severity.INFO, "backend_refs are not part of the pool; the router "
                             "reads endpoints from its deployment", path=("providers", "models")))
    return notes


def source_metadata(docs: list[Any], kind: str, name: str) -> dict[str, Any]:
    """``metadata`` of the source's ``kind`` resource (name, namespace, labels, annotations); else the source
    SemanticRouter's (or just ``name``) with the kind's suffix on the name (``-pool``, ``-route``)."""
    found = {d["kind"]: d.get("metadata") for d in docs if is_kubernetes(d) and isinstance(d.get("metadata"), dict)}
    if kind in found:
        return copy.deepcopy(found[kind])
    base = copy.deepcopy(found.get("SemanticRouter") or {"name": name})
    base["name"] = f"{base.get('name', name)}-{kind.removeprefix('Intelligent').lower()}"
    return base


def to_pool_and_route(policy: Policy, name: str = "routing-studio") -> list[dict[str, Any]]:
    """The IntelligentPool and IntelligentRoute documents; raises ``PolicyError`` listing every misfit."""
    problems = fit_findings(policy)
    if problems:
        raise PolicyError(problems)
    models = []
    for m in policy.providers.models if policy.providers else []:
        item: dict[str, Any] = {"name": m.name}
        if m.reasoning:
            item["reasoningFamily"] = m.reasoning["family"]
        if m.pricing:
            price = m.pricing.to_spec()
            pricing = {"currency": price["currency"]} if "currency" in price else {}
            for canonical, crd in PRICE_FIELDS.items():
                if price.get(canonical) is not None:
                    pricing[crd] = _price(float(price[canonical]), 1e-6)
            item["pricing"] = pricing
        card = next((c for c in (policy.routing.model_cards or []) if c.name == m.name), None)
        if card and card.loras:
            item["loras"] = card.loras
        models.append(item)
    pool_spec: dict[str, Any] = {}
    if policy.default_model:
        pool_spec["defaultModel"] = policy.default_model
    pool_spec["models"] = models
    routing = policy.routing
    signals: dict[str, Any] = {}
    for crd_key, (collection, mapping) in ROUTE_SIGNALS.items():
        items = getattr(routing.signals, collection, None) if routing.signals else None
        if items:
            reverse = {v: k for k, v in mapping.items()}
            signals[crd_key] = [_rename(s.to_spec(), reverse) for s in items]
    decisions = []
    for d in routing.all_decisions():
        spec = d.to_spec()
        out: dict[str, Any] = {k: v for k, v in spec.items() if k not in ("rules", "modelRefs", "algorithm", "tier")}
        if "rules" in spec:
            out["signals"] = spec["rules"]
        out["modelRefs"] = [_rename(r, MODEL_REF_FIELDS) for r in spec.get("modelRefs", [])]
        decisions.append(out)
    route_spec: dict[str, Any] = {}
    if signals:
        route_spec["signals"] = signals
    route_spec["decisions"] = decisions
    docs = source_documents(policy, "kubernetes")
    return [
        {"apiVersion": API_VERSION, "kind": "IntelligentPool",
         "metadata": source_metadata(docs, "IntelligentPool", name), "spec": pool_spec},
        {"apiVersion": API_VERSION, "kind": "IntelligentRoute",
         "metadata": source_metadata(docs, "IntelligentRoute", name), "spec": route_spec},
    ]


def to_semantic_router(policy: Policy, config: dict[str, Any], name: str = "routing-studio"
                       ) -> tuple[list[Any], list[Finding]]:
    """The operator's ``SemanticRouter`` for canonical ``config``: its source's documents with every deployment field
    kept when it came from one (:func:`.semantic_router.to_semantic_router`), else a new resource named ``name``."""
    docs, notes = semantic_router.to_semantic_router(config, source_documents(policy, "kubernetes"), name)
    return docs, [policy.locate(n) for n in notes]
