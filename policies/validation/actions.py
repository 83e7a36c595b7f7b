"""Action checks: model references, reasoning flags, algorithms and plugins."""

from __future__ import annotations

from typing import Iterator

from ..errors import Finding
from .base import Context, did_you_mean, error, profile_check, unknown_keys, warning
from .contract import ALGORITHM_TYPES, DEPRECATED_PLUGIN_ALIASES, REMOVED_ALGORITHMS, contract


@profile_check
def model_refs(ctx: Context) -> Iterator[Finding]:
    models = ctx.policy.model_names()
    cards = {c.name for c in ctx.profile.routing.model_cards or []}
    for i, decision in enumerate(ctx.profile.routing.all_decisions()):
        path = ctx.path("decisions", i)
        if not decision.model_refs:
            yield warning("no-model-refs", f"decision '{decision.name}' has no modelRefs, so it routes with no model",
                          path, "add modelRefs: [{model: ..., use_reasoning: false}]")
            continue
        for j, ref in enumerate(decision.model_refs):
            ref_path = path + ("modelRefs", j)
            yield from unknown_keys(ref.extra_fields(), contract()["model_ref"], ref_path, "modelRef")
            if ref.model not in models:
                yield error("unknown-model", f"decision '{decision.name}' routes to model '{ref.model}', which is not "
                            "declared in providers.models", ref_path + ("model",), did_you_mean(ref.model, models))
            elif cards and ref.model not in cards:
                yield warning("no-model-card", f"model '{ref.model}' has no entry in modelCards", ref_path + ("model",),
                              "add a modelCards entry so the router has its metadata")
            if ref.use_reasoning is None:
                # the router's canonical loader fills it before validating (pkg/config/canonical_config.go,
                # ensureModelRefDefaults: nil -> false); the reference config/config.yaml leaves it out
                yield warning("missing-use-reasoning", f"decision '{decision.name}' modelRef '{ref.model}' has no "
                              "use_reasoning: the router reads it as false", ref_path,
                              "say use_reasoning: false (or true) explicitly")


@profile_check
def algorithms(ctx: Context) -> Iterator[Finding]:
    c = contract()
    blocks = set(c["algorithm_blocks"])
    for i, decision in enumerate(ctx.profile.routing.all_decisions()):
        algorithm = decision.algorithm
        if algorithm is None:
            continue
        path = ctx.path("decisions", i, "algorithm")
        if algorithm.type in REMOVED_ALGORITHMS:
            yield error("algorithm-removed", f"algorithm '{algorithm.type}' was removed from decisions",
                        path + ("type",), "configure it under global.router.learning")
            continue
        if algorithm.type not in ALGORITHM_TYPES:
            yield error("algorithm-type", f"unknown algorithm '{algorithm.type}'", path + ("type",),
                        did_you_mean(algorithm.type, ALGORITHM_TYPES))
            continue
        for key in algorithm.extra_fields():
            if key in blocks and key != algorithm.type:
                yield error("algorithm-block", f"algorithm block '{key}' does not match type '{algorithm.type}'",
                            path + (key,), f"rename the block to '{algorithm.type}' or change the type")
            elif key not in blocks:
                yield from unknown_keys([key], c["algorithm"], path, "algorithm")
        if algorithm.type in c["algorithm_blocks"]:
            yield from unknown_keys(algorithm.options(), c["algorithm_blocks"][algorithm.type], path + (algorithm.type,),
                                    f"{algorithm.type} algorithm")
        if algorithm.type == "prompt" and len(set(decision.models())) < 2:
            yield error("algorithm-candidates", "the prompt algorithm needs at least two distinct modelRefs", path)


@profile_check
def plugins(ctx: Context) -> Iterator[Finding]:
    types = contract()["plugin_types"]
    for i, decision in enumerate(ctx.profile.routing.all_decisions()):
        for j, plugin in enumerate(decision.plugins or []):
            path = ctx.path("decisions", i, "plugins", j)
            if plugin.type in DEPRECATED_PLUGIN_ALIASES:
                yield warning("plugin-deprecated", f"plugin type '{plugin.type}' is a deprecated alias",
                              path + ("type",), f"use '{DEPRECATED_PLUGIN_ALIASES[plugin.type]}'")
            elif plugin.type == "image_gen":
                # An error, as import and export treat it: vllm-sr 0.4.0's schema has no such plugin type.
                yield error("plugin-not-exportable", "plugin 'image_gen' (repository layout) does not exist in "
                            "vllm-sr 0.4.0, which rejects it; exports refuse it", path + ("type",),
                            "remove it, or export with --drop-unsupported")
            elif plugin.type in ("pii", "jailbreak"):
                yield error("plugin-removed", f"per-decision '{plugin.type}' plugins no longer exist",
                            path + ("type",), f"declare a {plugin.type} signal and add it to the rules")
            elif plugin.type not in types:
                yield error("plugin-type", f"unknown plugin type '{plugin.type}'", path + ("type",),
                            did_you_mean(plugin.type, types))
                continue
            if plugin.configuration is None:
                yield error("plugin-configuration", f"plugin '{plugin.type}' needs a configuration block", path)
            elif plugin.type in types:
                yield from unknown_keys(plugin.configuration, types[plugin.type], path + ("configuration",),
                                        f"{plugin.type} plugin")
