"""Semantic rules of vllm-sr 0.4.0's pydantic/validator layer that the schema cannot express.

Reasoning controls on ``modelRefs`` are checked against the model's reasoning family (named,
inline, or inherited from its catalog entry; families come from the wheel's catalog, snapshotted
with the schema). Identity rules: provider model and model card names are non-empty, cards name a
declared model, backend names are unique per model and providers are known catalog providers;
projection names are unique per kind.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import Finding
from ..model import Policy
from .base import Context, did_you_mean, error, policy_check, profile_check
from .schema import schema_document


def _catalog() -> dict[str, Any]:
    return schema_document()["x-routing-studio"]


def reasoning_family_of(policy: Policy, model_name: str) -> dict[str, Any] | None:
    """The reasoning family vllm-sr applies to a model, or None when it has none."""
    model = policy.provider_model(model_name)
    if model is None:
        return None
    families = _catalog()["reasoning_families"]
    reasoning = model.reasoning
    if reasoning is not None:
        if reasoning.get("family"):
            return families.get(str(reasoning["family"]))
        return {k: v for k, v in reasoning.items() if v is not None}
    return families.get(_catalog()["catalog_reasoning"].get(model.catalog or "", ""))


def _reasoning_problem(ref: Any, family: dict[str, Any] | None, has_models: bool) -> tuple[str, str] | None:
    """(field, message) for a modelRef whose reasoning settings the family cannot honour."""
    effort, mode = ref.reasoning_effort or "", ref.reasoning_mode or ""
    if effort != effort.strip():
        return "reasoning_effort", "reasoning_effort has surrounding whitespace"
    if family is None:
        if mode and has_models:
            return "reasoning_mode", f"reasoning_mode '{mode}' needs a model with a reasoning family"
        return None
    modes = family.get("modes") or []
    enabled = ref.use_reasoning is True  # the router treats an omitted use_reasoning as false
    if mode and mode not in modes:
        return "reasoning_mode", f"reasoning_mode '{mode}' is not one of the family's modes ({', '.join(modes) or 'none'})"
    if mode and enabled != (mode != "disabled"):
        return "use_reasoning", f"use_reasoning {str(enabled).lower()} contradicts reasoning_mode '{mode}'"
    if not enabled:
        if not (family.get("activation_parameter") or family.get("disabled") or "disabled" in modes):
            return "use_reasoning", "this model's reasoning is always on, so use_reasoning: false is rejected"
        if effort:
            return "reasoning_effort", "reasoning_effort is set while reasoning is disabled"
        return None
    if effort and family.get("type") in ("reasoning_mode", "chat_template_kwargs"):
        return "reasoning_effort", "this model's reasoning family is on/off only and takes no reasoning_effort"
    if effort and effort not in (family.get("levels") or []):
        return "reasoning_effort", (f"reasoning_effort '{effort}' is not one of the family's levels "
                                    f"({', '.join(family.get('levels') or [])})")
    return None


@profile_check
def reasoning_controls(ctx: Context) -> Iterator[Finding]:
    has_models = bool(ctx.policy.model_names())
    for i, decision in enumerate(ctx.profile.routing.all_decisions()):
        for j, ref in enumerate(decision.model_refs or []):
            problem = _reasoning_problem(ref, reasoning_family_of(ctx.policy, ref.model), has_models)
            if problem:
                field, message = problem
                yield error("reasoning-control", f"decision '{decision.name}' model '{ref.model}': {message}",
                            ctx.path("decisions", i, "modelRefs", j, field))


def _blank(name: Any) -> bool:
    return not str(name or "").strip()


@policy_check
def model_identities(policy: Policy) -> Iterator[Finding]:
    providers = set(_catalog()["providers"])
    families = _catalog()["reasoning_families"]
    names = set(policy.model_names())
    for i, model in enumerate(policy.providers.models if policy.providers else []):
        path = ("providers", "models", i)
        if _blank(model.name):
            yield error("blank-name", "provider model name is empty", path + ("name",))
        family = (model.reasoning or {}).get("family")
        if family and str(family) not in families:
            yield error("reasoning-family", f"model '{model.name}' uses unknown reasoning family '{family}'",
                        path + ("reasoning", "family"), did_you_mean(str(family), families))
        seen: set[str] = set()
        for j, ref in enumerate(model.backend_refs or []):
            spec = ref.to_spec()
            name = str(spec.get("name"))
            if name in seen:
                yield error("duplicate-backend", f"model '{model.name}' declares backend '{name}' twice",
                            path + ("backend_refs", j, "name"), "give each backend_ref a unique name")
            seen.add(name)
            provider = str(spec.get("provider", "vllm"))
            if provider not in providers:
                yield error("unknown-provider", f"backend provider '{provider}' is not a known provider ID",
                            path + ("backend_refs", j, "provider"), did_you_mean(provider, providers))
    for profile in policy.profiles():
        cards = profile.routing.model_cards or []
        catalog_names = {m.catalog for m in (policy.providers.models if policy.providers else []) if m.catalog}
        loras = profile.routing.lora_names()
        seen_cards: set[str] = set()
        for i, card in enumerate(cards):
            path = profile.path + ("modelCards", i, "name")
            if _blank(card.name):
                yield error("blank-name", "model card name is empty", path)
                continue
            if card.name in seen_cards:
                yield error("duplicate-model-card", f"model card '{card.name}' is declared twice", path)
            seen_cards.add(card.name)
            if names and card.name not in names | catalog_names | loras:
                yield error("unknown-model", f"model card '{card.name}' does not name a providers.models entry",
                            path, did_you_mean(card.name, names))


@profile_check
def projection_names(ctx: Context) -> Iterator[Finding]:
    """Partition, score and mapping names are unique per kind within a profile (vllm-sr rejects repeats)."""
    projections = ctx.profile.routing.projections
    for kind in ("partitions", "scores", "mappings"):
        seen: set[str] = set()
        for i, item in enumerate(getattr(projections, kind, None) or [] if projections else []):
            name = str(getattr(item, "name", "") or "")
            if name and name in seen:
                yield error("duplicate-projection", f"projection {kind[:-1]} '{name}' is declared twice",
                            ctx.path("projections", kind, i, "name"), "rename or remove one")
            seen.add(name)
