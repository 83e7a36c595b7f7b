"""Export a policy as a deployable vLLM SR config (0.4.0 layout) or as Kubernetes resources.

Exports are validated first: a policy with error findings is not written unless forced, and
anything the target cannot express is refused with a named reason, never silently dropped.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

from .dialects import kubernetes
from .errors import Finding, PolicyError, Severity
from .model import CANONICAL_VERSION, ModelCard, Policy
from .yaml_source import dump_yaml, dump_yaml_all

FORMATS = ("vllm-sr", "k8s", "k8s-semanticrouter", "dsl", "helm")
NOT_EXPORTABLE_PLUGINS = {"image_gen": "0.4.0 has no image_gen plugin"}
# Validation errors a target makes moot: the IntelligentPool takes its endpoints from the router's
# deployment (../shared/data/vllm-sr-upstream/crds/vllm.ai_intelligentpools.yaml has no backend field).
NOT_BLOCKING = {"k8s": frozenset({"no-backend"}), "dsl": frozenset({"unknown-model"})}
# The other way round: validation lowers a model without backend_refs to a warning for Kubernetes sources
# (their deployment supplies endpoints), but a config written for the router itself needs them (vllm-sr
# 0.4.0 rejects it: "model ... must define backends").
BLOCKING_AT_ANY_SEVERITY = {"vllm-sr": frozenset({"no-backend"}), "helm": frozenset({"no-backend"})}
# Targets that hold routing only (the DSL): errors outside routing (providers, version ...) do not stop them.
ROUTING_ONLY = frozenset({"dsl"})


def _env_name(model: str) -> str:
    return "ROUTING_STUDIO_" + re.sub(r"[^A-Z0-9]+", "_", model.upper()).strip("_") + "_API_KEY"


def to_vllm_sr(policy: Policy, drop_unsupported: bool = False) -> tuple[dict[str, Any], list[Finding]]:
    """The canonical 0.4.0 config as data, plus notes on what was changed for the target."""
    spec = copy.deepcopy(policy.to_spec())
    notes: list[Finding] = []
    spec.setdefault("version", CANONICAL_VERSION)
    for i, model in enumerate((spec.get("providers") or {}).get("models") or []):
        for j, ref in enumerate(model.get("backend_refs") or []):
            if "api_key" in ref:
                del ref["api_key"]
                ref.setdefault("api_key_env", _env_name(model["name"]))
                notes.append(policy.locate(Finding(
                    "secret-removed", Severity.WARNING, "literal api_key not exported; the router reads "
                    f"{ref['api_key_env']} instead", path=("providers", "models", i, "backend_refs", j, "api_key"))))
    profiles = [("routing", ("routing",), spec.get("routing"))] + [
        (f"recipes[{i}].routing", ("recipes", i, "routing"), r.get("routing"))
        for i, r in enumerate(spec.get("recipes") or [])]
    refused: list[Finding] = []
    for label, at, routing in profiles:
        if not isinstance(routing, dict):
            continue
        for j, card in enumerate(routing.get("modelCards") or []):
            for key in sorted(ModelCard.NOT_EXPORTED & set(card)):
                del card[key]
                notes.append(policy.locate(Finding(
                    "not-exported", Severity.WARNING, f"model card '{card.get('name')}': {key} is kept for the "
                    "simulation but vllm-sr 0.4.0 does not accept it, so the export leaves it out",
                    path=(*at, "modelCards", j, key))))
        for d in routing.get("decisions") or []:
            kept = []
            for plugin in d.get("plugins") or []:
                reason = NOT_EXPORTABLE_PLUGINS.get(plugin.get("type"))
                if reason is None:
                    kept.append(plugin)
                    continue
                finding = Finding("not-exportable", Severity.WARNING if drop_unsupported else Severity.ERROR,
                                  f"decision '{d.get('name')}': plugin '{plugin['type']}' cannot be exported: {reason}",
                                  path=(label, "decisions", d.get("name")),
                                  suggestion="remove the plugin or export with --drop-unsupported")
                (notes if drop_unsupported else refused).append(finding)
            if "plugins" in d:
                d["plugins"] = kept
    if refused:
        raise PolicyError(refused)
    return spec, notes


def export_documents(policy: Policy, fmt: str = "vllm-sr", drop_unsupported: bool = False,
                     name: str = "routing-studio") -> tuple[list[dict[str, Any]], list[Finding]]:
    """The documents of an export in ``fmt`` (see :data:`FORMATS`) and notes on what changed."""
    if fmt not in FORMATS:
        raise PolicyError.single("unknown-format", f"unknown export format '{fmt}'",
                                 suggestion=f"use one of: {', '.join(FORMATS)}")
    config, notes = to_vllm_sr(policy, drop_unsupported)
    if fmt == "vllm-sr":
        return [config], notes
    if fmt == "k8s-semanticrouter":
        resources, rewritten = kubernetes.to_semantic_router(policy, config, name)
        return resources, notes + rewritten
    canonical = Policy.from_spec(config)
    canonical.attach_source(policy.source_file, policy.source_map, policy.dialect, moves=policy._path_moves)
    return kubernetes.to_pool_and_route(canonical, name), notes + kubernetes.dropped_by_pair(canonical)


def export_text(policy: Policy, fmt: str = "vllm-sr", drop_unsupported: bool = False,
                name: str = "routing-studio") -> tuple[str, list[Finding]]:
    if fmt == "dsl":  # routing only, as the router's DSL (policies/dsl/emitter.py reports what it leaves out)
        from .dsl import dumps_dsl

        return dumps_dsl(policy, drop_unsupported)
    if fmt == "helm":  # the chart's values with the config in place (policies/dialects/helm.py)
        from .dialects import to_helm_values

        config, notes = to_vllm_sr(policy, drop_unsupported)
        text, rewritten = to_helm_values(policy, config)
        return text, notes + [policy.locate(n) for n in rewritten]
    docs, notes = export_documents(policy, fmt, drop_unsupported, name)
    return (dump_yaml(docs[0]) if len(docs) == 1 else dump_yaml_all(docs)), notes


def render_export(policy: Policy, fmt: str = "vllm-sr", force: bool = False, drop_unsupported: bool = False,
                  name: str = "routing-studio") -> tuple[str, list[Finding]]:
    """Validate then render. Refuses a policy with error findings unless ``force``."""
    from .validation import validate_policy

    errors = errors_for_target(validate_policy(policy), fmt)
    if errors and not force:
        raise PolicyError(errors)
    return export_text(policy, fmt, drop_unsupported, name)


def errors_for_target(findings: list[Finding], fmt: str) -> list[Finding]:
    """The error findings that stop an export in ``fmt`` (all errors but those the target makes moot)."""
    moot = NOT_BLOCKING.get(fmt, frozenset())
    escalated = BLOCKING_AT_ANY_SEVERITY.get(fmt, frozenset())
    return [f if f.severity is Severity.ERROR else dataclasses.replace(f, severity=Severity.ERROR)
            for f in findings
            if (f.severity is Severity.ERROR or (f.code in escalated and f.severity is Severity.WARNING))
            and f.code not in moot and not (fmt in ROUTING_ONLY and f.path and f.path[0] != "routing")]


def write_export(policy: Policy, path: str | Path, fmt: str = "vllm-sr", force: bool = False,
                 drop_unsupported: bool = False) -> list[Finding]:
    """Validate, render and atomically write an export (temp file + rename)."""
    from .atomic import atomic_write_text

    # Resources are named after the policy's source (its own metadata when it has some), not the output file.
    source = Path(policy.source_file).stem if policy.source_file else ""
    text, notes = render_export(policy, fmt, force, drop_unsupported, resource_name(source))
    atomic_write_text(Path(path), text)
    return notes


def resource_name(stem: str) -> str:
    """A Kubernetes-safe resource name from a file name."""
    return re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-") or "routing-studio"
