"""The operator's ``SemanticRouter`` resource: ``spec.config`` in any layout, the models of ``spec.vllmEndpoints``,
and every deployment field of the CRD carried to an export of the same kind.

How the operator builds the router's config (read in ``vllm-project/semantic-router``,
``deploy/operator/controllers/``), mirrored here:

- ``canonical_config_builder.go``: discovered backends first, then ``spec.config`` on top.
- ``backend_discovery.go`` (``discoverBackendEndpoint``, ``mergeDiscoveredProviderModel``): each
  ``vllmEndpoints`` item is one ``backend_ref`` (``name``; ``provider: vllm``; ``weight``, 0 or
  absent meaning 1) of the provider model named by its ``model``; items naming the same model add
  backends to it. The endpoint is ``<service>.<namespace>.svc.cluster.local:<port>`` over http for
  ``type: service`` (the item's namespace, else the resource's), ``<isvc>-predictor.<namespace>
  .svc.cluster.local:8443`` over https for ``type: kserve``, and for ``type: llamastack`` the first
  ``Service`` matching ``discoveryLabels`` (its first port, http), which only the cluster knows: we
  resolve it from a Service in the same file, or import the model without that backend and say so.
  ``reasoningFamily`` (the CRD's field) or a newer ``reasoning`` block and ``catalog`` go on the model.
- ``canonical_config_backends.go`` (``applyDiscoveredBackends``): models in name order, one
  ``routing.modelCards`` entry each (with the item's ``loras``), and the first name is the default model.
- ``canonical_config_builder_routing.go`` / ``..._provider_defaults.go`` and
  ``canonical_routing_overrides.go``: the CRD's flat ``config`` keys (``decisions``,
  ``complexity_rules``, ``reasoning_families``, ``default_reasoning_effort``, ``strategy``) are the
  legacy flat layout (:mod:`.legacy` converts them); ``config.routing`` replaces each routing block it names.

Newer operators (``deploy/operator/api/v1alpha1/``) take the router config two more ways, read here as the
layout they are written in: ``spec.authoringConfig``, a whole config in vllm-sr's authoring layout
(``semanticrouter_authoring_types_test.go``, sample ``vllm.ai_v1alpha1_semanticrouter_authoring.yaml``), and
``spec.bootstrap.configMapRef`` (``name``, ``key``), a ConfigMap holding the config file (samples
``..._semanticrouter_file.yaml`` / ``_standalone.yaml``), resolved from a ConfigMap in the same file.

The CRD (``crds/vllm.ai_semanticrouters.yaml``) gives ``spec.config`` only those keys plus router-global
blocks the policy does not model (:data:`CONFIG_CARRIED`), and ``spec`` the deployment fields in
:data:`SPEC_FIELDS`. Those are not routing: they are kept in the source file and written back by
:func:`to_semantic_router`; each is reported on import. A ``spec.config`` holding a whole router config in
another layout (``providers``, ``listeners``, ... : what older tools wrote) is read by the dialect that fits it.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import yaml

from ..errors import Finding, PolicyError, Severity, SpecPath
from . import legacy
from .base import Normalised
from .repository import reasoning_block
from .shape import mapping, mappings, text

# spec fields of vllm.ai/v1alpha1 SemanticRouter (crds/vllm.ai_semanticrouters.yaml) that are deployment, not routing
SPEC_FIELDS = frozenset({"affinity", "args", "autoscaling", "env", "gateway", "image", "imagePullSecrets", "ingress",
                         "livenessProbe", "nodeSelector", "openshift", "persistence", "podAnnotations",
                         "podSecurityContext", "readinessProbe", "replicas", "resources", "securityContext", "service",
                         "serviceAccount", "startupProbe", "tolerations", "toolsDb"})
# spec.config keys of the CRD that configure the router globally (models, caches, classifiers): not routing policy
CONFIG_CARRIED = frozenset({"api", "classifier", "embedding_models", "observability", "prompt_guard",
                            "response_cache", "semantic_cache", "tools"})
# top-level keys of a whole router config: a spec.config with one of them is not the CRD's flat layout
WHOLE_CONFIG_KEYS = frozenset({"version", "listeners", "providers", "global", "entrypoints", "recipes", "evaluation",
                               "vllm_endpoints", "model_config"})
KSERVE_PORT = 8443  # backend_discovery.go: discoverKServeBackend
NAMESPACE_FALLBACK = "default"  # kubectl's namespace for a resource that names none

Inner = Callable[[dict[str, Any]], Normalised]


def _namespace(doc: dict[str, Any]) -> str | None:
    meta = doc.get("metadata")
    return meta.get("namespace") if isinstance(meta, dict) and isinstance(meta.get("namespace"), str) else None


def _labelled_service(docs: list[Any], namespace: str, labels: dict[str, Any]) -> tuple[str, int] | None:
    """(name, first port) of the first ``v1 Service`` in the file whose labels include ``labels``."""
    for doc in docs:
        if not (isinstance(doc, dict) and doc.get("kind") == "Service" and doc.get("apiVersion") == "v1"):
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        ports = (doc.get("spec") or {}).get("ports") if isinstance(doc.get("spec"), dict) else None
        own = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        if (_namespace(doc) or namespace) == namespace and all(own.get(k) == v for k, v in labels.items()) \
                and isinstance(ports, list) and ports and isinstance(ports[0], dict) and "port" in ports[0]:
            return str(meta.get("name")), ports[0]["port"]
    return None


def _backend_ref(item: dict[str, Any], namespace: str, docs: list[Any], path: SpecPath) -> dict[str, Any] | None:
    """The backend_ref the operator generates for one vllmEndpoints item; None when only the cluster can say."""
    backend = mapping(item.get("backend"), path + ("backend",), optional=False)
    kind = backend.get("type")
    if kind == "service":
        service = mapping(backend.get("service"), path + ("backend", "service"), optional=False)
        host = f"{text(service.get('name'), path + ('backend', 'service', 'name'))}." \
               f"{service.get('namespace') or namespace}.svc.cluster.local"
        endpoint, protocol = f"{host}:{service.get('port')}", "http"
    elif kind == "kserve":
        isvc = text(backend.get("inferenceServiceName"), path + ("backend", "inferenceServiceName"))
        endpoint, protocol = f"{isvc}-predictor.{namespace}.svc.cluster.local:{KSERVE_PORT}", "https"
    elif kind == "llamastack":
        found = _labelled_service(docs, namespace, mapping(backend.get("discoveryLabels"),
                                                           path + ("backend", "discoveryLabels")))
        if found is None:
            return None
        endpoint, protocol = f"{found[0]}.{namespace}.svc.cluster.local:{found[1]}", "http"
    else:
        raise PolicyError.single("k8s-structure", f"unknown backend type {kind!r} (the CRD allows kserve, llamastack, "
                                 "service)", path=path + ("backend", "type"))
    return {"name": text(item.get("name"), path + ("name",)), "provider": "vllm", "endpoint": endpoint,
            "protocol": protocol, "weight": item.get("weight") or 1}


def _reasoning(item: dict[str, Any], families: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(item.get("reasoning"), dict):
        return {k: v for k, v in item["reasoning"].items() if v not in (None, "", [])}
    if isinstance(item.get("reasoningFamily"), str) and item["reasoningFamily"]:
        return reasoning_block(item["reasoningFamily"], families)
    return None


def endpoint_models(doc: dict[str, Any], index: int, docs: list[Any],
                    families: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Finding],
                                                       dict[str, list[int]]]:
    """(provider models, model cards, notes, model name -> vllmEndpoints indexes), models in name order."""
    spec = mapping(doc.get("spec"), (index, "spec"))
    namespace = _namespace(doc) or NAMESPACE_FALLBACK
    models: dict[str, dict[str, Any]] = {}
    cards: dict[str, dict[str, Any]] = {}
    sources: dict[str, list[int]] = {}
    notes: list[Finding] = []
    for j, item in mappings(spec.get("vllmEndpoints"), (index, "spec", "vllmEndpoints")):
        path = (index, "spec", "vllmEndpoints", j)
        name = text(item.get("model"), path + ("model",))
        model = models.setdefault(name, {"name": name})
        sources.setdefault(name, []).append(j)
        for key, value in (("reasoning", _reasoning(item, families)), ("catalog", item.get("catalog"))):
            if value and model.get(key) not in (None, value):
                raise PolicyError.single("k8s-structure", f"model '{name}' declares conflicting {key} in two "
                                         "vllmEndpoints (the operator refuses it too)", path=path)
            if value:
                model[key] = value
        card = cards.setdefault(name, {"name": name})
        for lora in mappings(item.get("loras"), path + ("loras",)):
            if lora[1].get("name") not in {x["name"] for x in card.get("loras", [])}:
                card.setdefault("loras", []).append(dict(lora[1]))
        ref = _backend_ref(item, namespace, docs, path)
        if ref is None:
            notes.append(Finding(
                "k8s-unresolved", Severity.WARNING, f"vllmEndpoints '{item.get('name')}' (model '{name}') is a "
                "llamastack backend found by label lookup in the cluster; no Service in this file matches its "
                "discoveryLabels, so the model has no backend_ref from it", path=path,
                suggestion="add the matching v1 Service to the file, or backend_refs by hand"))
            continue
        model.setdefault("backend_refs", []).append(ref)
        notes.append(Finding("k8s-endpoint", Severity.INFO, f"vllmEndpoints '{ref['name']}' is backend_ref of model "
                             f"'{name}': {ref['endpoint']} over {ref['protocol']}, weight {ref['weight']} (as the "
                             "operator resolves it)", path=path))
    if spec.get("vllmEndpoints") and _namespace(doc) is None:
        notes.append(Finding("k8s-namespace", Severity.INFO, f"no metadata.namespace: endpoints resolved in namespace "
                             f"'{NAMESPACE_FALLBACK}'", path=(index, "metadata")))
    order = sorted(models)
    return [models[n] for n in order], [cards[n] for n in order], notes, {n: sources[n] for n in order}


def _numbers(node: Any, path: SpecPath, notes: list[Finding]) -> Any:
    """``node`` with quoted thresholds as numbers: the CRD types them as strings (kubebuilder has no floats) and the
    operator parses them (``ComplexityRulesConfig.Threshold``); the router's own layout wants numbers."""
    if isinstance(node, list):
        return [_numbers(v, path + (i,), notes) for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if isinstance(key, str) and key.endswith("threshold") and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
            else:
                notes.append(Finding("k8s-number", Severity.INFO, f"{key} '{node[key]}' (a string in the CRD) read as "
                                     f"the number {value}", path=path + (key,)))
        out[key] = _numbers(value, path + (key,), notes)
    return out


def _config(config: dict[str, Any], cpath: SpecPath, inner: Inner) -> Normalised:
    """``spec.config`` without the router-global blocks, read as the layout it is written in."""
    modelled = {k: v for k, v in config.items() if k not in CONFIG_CARRIED}
    if WHOLE_CONFIG_KEYS & set(modelled):
        result = inner(modelled).under(cpath)
        result.moves += [((block,), cpath + (block,)) for block in result.data]  # last: the most general
        return result
    override = mapping(modelled.pop("routing", None), cpath + ("routing",))
    notes: list[Finding] = []
    result = legacy.normalise(_numbers(modelled, (), notes)).under(cpath)
    result.notes += [Finding(n.code, n.severity, n.message, path=cpath + n.path) for n in notes]
    result.dialect = "kubernetes"
    routing = result.data.setdefault("routing", {})
    for key, value in override.items():  # canonical_routing_overrides.go: each block named replaces the built one
        if routing.get(key):
            result.note("not-carried", f"spec.config.routing.{key} replaces what the flat keys built (as the operator "
                        "does): those are not imported", cpath + ("routing", key), Severity.WARNING)
        routing[key] = value
        result.moves.insert(0, (("routing", key), cpath + ("routing", key)))
    return result


def _whole_config(docs: list[Any], index: int, spec: dict[str, Any]) -> tuple[dict[str, Any], SpecPath] | None:
    """(config, its path) of ``spec.authoringConfig`` or of the ConfigMap ``spec.bootstrap.configMapRef`` names in
    the same file; None when the resource has neither."""
    if isinstance(spec.get("authoringConfig"), dict):
        return spec["authoringConfig"], (index, "spec", "authoringConfig")
    ref = mapping(mapping(spec.get("bootstrap"), (index, "spec", "bootstrap")).get("configMapRef"),
                  (index, "spec", "bootstrap", "configMapRef"))
    if not ref:
        return None
    key = ref.get("key") or "config.yaml"
    for j, other in enumerate(docs):
        meta = other.get("metadata") if isinstance(other, dict) else None
        if isinstance(meta, dict) and other.get("kind") == "ConfigMap" and meta.get("name") == ref.get("name") \
                and isinstance((other.get("data") or {}).get(key), str):
            try:
                config = yaml.safe_load(other["data"][key])
            except yaml.YAMLError as exc:
                raise PolicyError.single("yaml-syntax", f"ConfigMap {ref.get('name')} data.{key} is not valid YAML: "
                                         f"{exc}", path=(j, "data", key)) from None
            if isinstance(config, dict):
                return config, (j, "data", key)
    raise PolicyError.single("k8s-structure", f"spec.bootstrap.configMapRef names ConfigMap {ref.get('name')!r} key "
                             f"{key!r}, which is not in this file", path=(index, "spec", "bootstrap", "configMapRef"),
                             suggestion="put the ConfigMap in the same file, separated by ---")


def normalise(docs: list[Any], index: int, inner: Inner) -> Normalised:
    """One ``SemanticRouter`` (document ``index`` of ``docs``) → canonical data, with a note per carried field."""
    doc = docs[index]
    spec = mapping(doc.get("spec"), (index, "spec"), optional=False)
    cpath = (index, "spec", "config")
    config = mapping(spec.get("config"), cpath)
    families = mapping(config.get("reasoning_families"), cpath + ("reasoning_families",))
    source = _whole_config(docs, index, spec)
    used = None if source is None else source[1][2] if source[1][1] == "spec" else "bootstrap"
    if source is None:
        result = _config(config, cpath, inner)
    else:
        result = inner(source[0]).under(source[1])
        result.moves += [((block,), source[1] + (block,)) for block in result.data]
        for key in sorted(config.keys() - CONFIG_CARRIED):
            result.note("not-carried", f"spec.config.{key} is not imported: spec.{used} holds the router config",
                        cpath + (key,), Severity.WARNING)
    result.dialect = "kubernetes"
    models, cards, notes, sources = endpoint_models(doc, index, docs, families)
    result.notes.extend(notes)
    providers = result.data.setdefault("providers", {})
    declared = providers.get("models") if isinstance(providers.get("models"), list) else []
    known = {m.get("name") for m in declared if isinstance(m, dict)}
    for model in [m for m in models if m["name"] in known]:
        result.note("not-carried", f"model '{model['name']}' of vllmEndpoints is also declared in spec.config; the "
                    "config's declaration is used", (index, "spec", "vllmEndpoints", sources[model["name"]][0]),
                    Severity.WARNING)
    fresh = [m for m in models if m["name"] not in known]
    providers["models"] = fresh + declared  # discovered first, as the operator builds them
    moves: list[tuple[SpecPath, SpecPath]] = []
    for k, model in enumerate(fresh):
        where = [(index, "spec", "vllmEndpoints", j) for j in sources[model["name"]]]
        moves += [(("providers", "models", k, "backend_refs", m), source) for m, source in enumerate(where)]
        moves.append((("providers", "models", k), where[0]))
    moves += [(("providers", "models", len(fresh) + i), cpath + ("providers", "models", i))
              for i in range(len(declared))]
    defaults = providers.setdefault("defaults", {})
    if models and not defaults.get("model"):
        defaults["model"] = models[0]["name"]
        result.note("k8s-default", f"default model '{models[0]['name']}': the first vllmEndpoints model by name, "
                    "as the operator chooses", (index, "spec", "vllmEndpoints"))
    routing = result.data.setdefault("routing", {})
    whole = bool(WHOLE_CONFIG_KEYS & set(config))  # else config.routing.modelCards replaces the generated cards
    if cards and (whole or "modelCards" not in mapping(config.get("routing"), cpath + ("routing",))):
        own = routing.get("modelCards") if isinstance(routing.get("modelCards"), list) else []
        named = {c.get("name") for c in own if isinstance(c, dict)}
        routing["modelCards"] = [c for c in cards if c["name"] not in named] + own
    result.moves = moves + result.moves
    for key in sorted(config.keys() & CONFIG_CARRIED):
        result.note("k8s-carried", f"spec.config.{key} is router-global configuration the policy does not model: kept "
                    "for export as SemanticRouter, left out of other exports", cpath + (key,))
    for key in spec:
        if key in ("config", "vllmEndpoints", used):
            continue
        if key in SPEC_FIELDS:
            result.note("k8s-carried", f"spec.{key} is deployment, not routing: kept for export as SemanticRouter, "
                        "left out of other exports", (index, "spec", key))
        else:
            result.note("k8s-carried", f"spec.{key} is not a field of the SemanticRouter CRD (vllm.ai/v1alpha1): kept "
                        "for export as SemanticRouter, not imported", (index, "spec", key), Severity.WARNING)
    return result


# -- export ---------------------------------------------------------------------------------
def _carried_models(source: dict[str, Any], index: int, docs: list[Any],
                    config: dict[str, Any]) -> tuple[list[dict[str, Any]], set[str], list[dict[str, Any]]]:
    """The source's vllmEndpoints items still true of ``config`` (same model, backends, reasoning), their models
    and the model cards the operator generates for them."""
    spec = mapping(source.get("spec"), (index, "spec"))
    families = mapping(spec.get("config"), (index, "spec", "config")).get("reasoning_families")
    models, cards, _, sources = endpoint_models(source, index, docs, families if isinstance(families, dict) else {})
    now = {m["name"]: m for m in (config.get("providers") or {}).get("models") or []}
    items = spec.get("vllmEndpoints") or []
    kept = {m["name"] for m in models if now.get(m["name"]) == m}
    indexes = sorted(j for name in kept for j in sources[name])
    return [items[j] for j in indexes], kept, [c for c in cards if c["name"] in kept]


def _not_in_crd(path: SpecPath) -> Finding:
    return Finding("k8s-not-in-crd", Severity.WARNING, "spec.config holds a whole router config (providers, ...) that "
                   "the SemanticRouter CRD does not define: the API server prunes what the CRD lacks", path=path,
                   suggestion="declare models as spec.vllmEndpoints, or deploy the vllm-sr export")


def to_semantic_router(config: dict[str, Any], docs: list[Any], name: str) -> tuple[list[Any], list[Finding]]:
    """The documents for canonical ``config``: the source's SemanticRouter (first in ``docs``) with its deployment
    fields, router-global blocks and still-true vllmEndpoints kept, and the file's other documents (the Services
    a llamastack backend is found by) as they were; a new resource named ``name`` without a source."""
    index = next((i for i, d in enumerate(docs) if isinstance(d, dict) and d.get("kind") == "SemanticRouter"), None)
    if index is None:
        return [{"apiVersion": "vllm.ai/v1alpha1", "kind": "SemanticRouter", "metadata": {"name": name},
                 "spec": {"config": config}}], [_not_in_crd(())]
    out = copy.deepcopy(docs[index])
    spec = out.setdefault("spec", {})
    source_config = spec.get("config") if isinstance(spec.get("config"), dict) else {}
    config = copy.deepcopy(config)
    items, carried, cards = _carried_models(docs[index], index, docs, config)
    providers = config.get("providers") or {}
    providers["models"] = [m for m in providers.get("models") or [] if m.get("name") not in carried]
    routing = config.get("routing") or {}
    routing["modelCards"] = [c for c in routing.get("modelCards") or [] if c not in cards]
    if not routing["modelCards"]:
        del routing["modelCards"]
    notes: list[Finding] = []
    dropped = [it.get("name") for it in spec.get("vllmEndpoints") or [] if it not in items]
    if dropped:
        notes.append(Finding("k8s-rewritten", Severity.INFO, f"vllmEndpoints {dropped} no longer match their model: "
                             "its backends are written to spec.config.providers instead",
                             path=(index, "spec", "vllmEndpoints")))
    if items:
        spec["vllmEndpoints"] = items
    else:
        spec.pop("vllmEndpoints", None)
    kept = {k: v for k, v in source_config.items() if k in CONFIG_CARRIED}
    source = _whole_config(docs, index, docs[index]["spec"])
    if source is not None:  # written back where it was read from, in the canonical layout
        return _to_whole_config(out, docs, index, source[1], config, kept), notes + [Finding(
            "k8s-rewritten", Severity.INFO, "the router config is written back in the canonical v0.3 layout",
            path=source[1])]
    operator_default = sorted(carried)[0] if carried else None
    defaults = providers.get("defaults") or {}
    whole_only = {"listeners", "global", "entrypoints", "recipes", "evaluation"} & set(config)
    flat = not providers["models"] and not whole_only and defaults.get("model") == operator_default \
        and set(defaults) <= {"model", "reasoning_effort"}
    if flat:  # the CRD's own layout: routing under config.routing, defaults as the operator reads them
        body: dict[str, Any] = dict(kept)
        if isinstance(source_config.get("reasoning_families"), dict):
            body["reasoning_families"] = source_config["reasoning_families"]
        if defaults.get("reasoning_effort"):
            body["default_reasoning_effort"] = defaults["reasoning_effort"]
        if "strategy" in routing:  # the CRD's own key (config.strategy)
            body["strategy"] = routing.pop("strategy")
        if routing:
            body["routing"] = routing
        for key in sorted({"decisions", "complexity_rules"} & set(source_config)):
            notes.append(Finding("k8s-rewritten", Severity.INFO, f"spec.config.{key} is written under "
                                 "spec.config.routing (canonical_routing_overrides.go: the operator reads both alike)",
                                 path=(index, "spec", "config", key)))
    else:
        body = {**config, **kept}
        notes.append(_not_in_crd((index, "spec", "config")))
    spec["config"] = body
    return [out if i == index else d for i, d in enumerate(docs)], notes


def _to_whole_config(resource: dict[str, Any], docs: list[Any], index: int, where: SpecPath,
                     config: dict[str, Any], kept: dict[str, Any]) -> list[Any]:
    """``docs`` with ``config`` in ``spec.authoringConfig`` of ``resource`` or in the bootstrap ConfigMap's key
    (``where``), and ``spec.config`` left with the router-global blocks only."""
    from ..yaml_source import dump_yaml

    spec = resource["spec"]
    if kept:
        spec["config"] = kept
    else:
        spec.pop("config", None)
    out = [resource if i == index else d for i, d in enumerate(docs)]
    if where[1] == "spec":
        spec[where[2]] = config
    else:
        config_map = copy.deepcopy(docs[where[0]])
        config_map["data"][where[2]] = dump_yaml(config)
        out[where[0]] = config_map
    return out


__all__ = ["CONFIG_CARRIED", "SPEC_FIELDS", "endpoint_models", "normalise", "to_semantic_router"]
