"""Shape checks: unknown fields, required fields, duplicate names, top-level values."""

from __future__ import annotations

from typing import Iterator

from ..errors import Finding
from ..model import CANONICAL_VERSION, Policy, ProviderModel, Signal
from .base import Context, error, policy_check, profile_check, unknown_keys, warning, did_you_mean
from .contract import contract


# vllm-sr 0.4.0's built-in catalog entries of kind: virtual (cli/model_assets/latest/catalog.yaml): a model naming
# one is routed by the catalog's own recipe and needs no backend of its own
VIRTUAL_CATALOG_MODELS = frozenset({"vllm-sr/mom-v1-blend", "vllm-sr/mom-v1-lite", "vllm-sr/mom-v1-flash",
                                    "vllm-sr/mom-v1-ultra", "vllm-sr/mom-v1-vault"})


def _backendless_allowed(policy: Policy, model: ProviderModel) -> bool:
    """A model may lack backend_refs when it is a virtual catalog model, or when ``listeners: []`` says no router-owned
    listener builds Envoy transport and the model still says what it is (vllm-sr 0.4.0:
    cli/catalog_provider_projection.py ``_validate_physical_backend_requirement``, whose ``allow_backendless_physical``
    cli/commands/validate.py sets; cli/validator_models.py ``_provider_model_has_metadata``)."""
    if model.catalog in VIRTUAL_CATALOG_MODELS:
        return True
    extra = model.extra_fields()
    described = model.catalog or model.reasoning is not None or model.provider_model_id or model.api_format \
        or extra.get("external_model_ids") or (model.pricing and model.pricing.to_spec()) or model.reliability
    return policy.listeners == [] and bool(described)


@policy_check
def top_level(policy: Policy) -> Iterator[Finding]:
    c = contract()
    yield from unknown_keys(policy.extra_fields(), c["top_level"], (), "top-level")
    if policy.version is not None and policy.version != CANONICAL_VERSION:
        yield error("version", f"version '{policy.version}' is not accepted; vllm-sr 0.4.0 requires "
                    f"'{CANONICAL_VERSION}'", ("version",), f"set version: {CANONICAL_VERSION}")
    if policy.providers is None or not policy.providers.models:
        yield error("no-models", "providers.models is empty: no model to route to", ("providers",),
                    "declare at least one model under providers.models")
        return
    yield from unknown_keys(policy.providers.extra_fields(), c["providers"], ("providers",), "providers")
    names: dict[str, int] = {}
    for i, model in enumerate(policy.providers.models):
        path = ("providers", "models", i)
        yield from unknown_keys(model.extra_fields(), c["provider_model"], path, "model")
        if model.name in names:
            yield error("duplicate-model", f"model '{model.name}' is declared twice (also models[{names[model.name]}])",
                        path + ("name",), "rename or remove one")
        names.setdefault(model.name, i)
        if model.pricing is not None:
            yield from unknown_keys(model.pricing.extra_fields(), c["pricing"], path + ("pricing",), "pricing")
            price = model.pricing
            for field in ("prompt_per_1m", "completion_per_1m", "cached_input_per_1m", "cache_write_per_1m"):
                value = getattr(price, field)
                if value is not None and value < 0:
                    yield error("negative-price", f"{field} is negative ({value})", path + ("pricing", field),
                                "prices are USD per million tokens and must be >= 0")
            if price.currency is not None and (len(price.currency) != 3 or not price.currency.isalpha()):
                yield error("currency", f"currency '{price.currency}' is not a 3-letter code",
                            path + ("pricing", "currency"), "use an ISO 4217 code such as USD")
        for j, ref in enumerate(model.backend_refs or []):
            yield from unknown_keys(ref.extra_fields(), c["backend_ref"], path + ("backend_refs", j), "backend_ref")
            if ref.weight is not None and ref.weight < 0:
                yield error("backend-weight", "backend weight must be >= 0", path + ("backend_refs", j, "weight"))
            if ref.api_key:
                yield warning("literal-secret", "literal api_key in the policy; exports replace it with api_key_env",
                              path + ("backend_refs", j, "api_key"), "use api_key_env: <ENV_VAR>")
        if not model.backend_refs and not _backendless_allowed(policy, model):
            severity = warning if policy.dialect == "kubernetes" else error
            yield severity("no-backend", f"model '{model.name}' has no backend_refs, so the router cannot reach it "
                           "(vllm-sr 0.4.0 rejects this; the Kubernetes pool takes endpoints from the deployment)",
                           path, "add backend_refs: [{name, provider, endpoint, protocol, weight}]")
        reasoning = model.reasoning or {}
        inline = [k for k in reasoning if k != "family"]
        if "family" in reasoning and inline:
            yield error("reasoning-shape", "reasoning.family and inline reasoning fields are mutually exclusive",
                        path + ("reasoning",), "keep either family or the inline fields")
        elif inline and not ("type" in reasoning and "parameter" in reasoning):
            yield error("reasoning-shape", "inline reasoning requires type and parameter", path + ("reasoning",))
    default = policy.default_model
    if default is None:
        yield warning("no-default-model", "providers.defaults.model is not set: unmatched requests have no model",
                      ("providers", "defaults"), "set providers.defaults.model")
    elif default not in names and default not in (policy.routing.lora_names() if policy.routing else set()):
        # A LoRA adapter of a top-level model card is a valid default, recipes' cards are not
        # (vllm-sr 0.4.0 cli/validator_models.py, _default_model_errors).
        yield error("unknown-model", f"default model '{default}' is not declared in providers.models or as a "
                    "LoRA adapter under routing.modelCards", ("providers", "defaults", "model"),
                    did_you_mean(default, names))


@profile_check
def routing_shape(ctx: Context) -> Iterator[Finding]:
    c = contract()
    routing = ctx.profile.routing
    yield from unknown_keys(routing.extra_fields(), c["routing"], ctx.path(), "routing")
    if routing.strategy is not None and routing.strategy not in ("priority", "confidence"):
        yield error("strategy", f"unknown strategy '{routing.strategy}'", ctx.path("strategy"),
                    "use 'priority' (default) or 'confidence'")
    seen: dict[str, int] = {}
    for i, decision in enumerate(routing.all_decisions()):
        path = ctx.path("decisions", i)
        yield from unknown_keys(decision.extra_fields(), c["decision"], path, "decision")
        if decision.name in seen:
            yield error("duplicate-decision", f"decision name '{decision.name}' is used twice (also decisions"
                        f"[{seen[decision.name]}]); the Go router rejects this", path + ("name",),
                        "give each decision a unique name")
        seen.setdefault(decision.name, i)
        if decision.priority is None:
            yield error("missing-priority", f"decision '{decision.name}' has no priority (required by vllm-sr 0.4.0)",
                        path, "add priority: <int>")
        elif decision.priority < 0:
            yield warning("negative-priority", f"decision '{decision.name}' has negative priority {decision.priority}; "
                          "the Kubernetes form only accepts 0..1000", path + ("priority",))
        if decision.tier is not None and decision.tier < 0:
            yield error("tier", f"tier must be >= 0 (got {decision.tier})", path + ("tier",))
        annotations = decision.extra_fields().get("annotations")
        if isinstance(annotations, dict) and len(annotations) > 32:
            yield error("annotations", "annotations allow at most 32 keys", path + ("annotations",))
    for i, card in enumerate(routing.model_cards or []):
        allowed = list(c["model_card"]) + ["quality_score"]
        yield from unknown_keys(card.extra_fields(), allowed, ctx.path("modelCards", i), "modelCard")


@profile_check
def signal_collections(ctx: Context) -> Iterator[Finding]:
    signals = ctx.profile.routing.signals
    if signals is None:
        return
    c = contract()
    for key in signals.extra_fields():
        kind = Signal.for_collection(key)
        if kind is None:
            yield error("unknown-signal-type", f"unknown signal collection '{key}'", ctx.path("signals", key),
                        did_you_mean(key, Signal.collections()))
        elif key not in c["signals"]:
            yield warning("plugin-signal-kind", f"signal collection '{key}' comes from the plugin module "
                          f"'{kind.__module__}'; vllm-sr 0.4.0 does not know it", ctx.path("signals", key),
                          "deploy to a router build that implements this kind")
    folded = {"metadata", "classifiers", "input_modality", "safety"}
    for collection, kind in Signal.collections().items():
        items = getattr(signals, collection) or []
        names: dict[str, int] = {}
        for i, signal in enumerate(items):
            path = ctx.path("signals", collection, i)
            allowed = c["signals"].get(collection) or [*kind.model_fields]
            yield from unknown_keys(signal.to_spec(), allowed, path, f"{collection} signal")
            for field in kind.required:
                if not getattr(signal, field, None):
                    yield error("missing-field", f"{collection} signal '{signal.name}' needs '{field}'",
                                path, f"add {field}: ...")
            key = signal.name.lower() if collection in folded else signal.name
            if key in names:
                yield error("duplicate-signal", f"{collection} signal '{signal.name}' is declared twice",
                            path + ("name",), "rename or remove one")
            names.setdefault(key, i)
