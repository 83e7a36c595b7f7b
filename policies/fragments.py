"""Fragments on their own and on a base: validated against the part they hold, or merged into a whole config.

A fragment (:func:`policies.dialects.fragment_kind`: only ``decisions:``, only signals, only
``providers:``, ...) lacks the rest of a config, so the findings that only say "the rest is missing"
(no models, a decision's signal or model declared elsewhere, a signal no decision uses) are moot
for it; every other finding stands. With ``--base`` the fragment is merged into a whole config by
name, as a part replaces its namesake (a decision, a signal, a model, a model card) or is added,
and the merged policy is validated as a whole; each replacement and addition is reported, and
findings on what the fragment brought point into the fragment file.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

from .dialects import fragment_kind
from .errors import Finding, PolicyError, Severity, SpecPath
from .loader import load_policy, policy_from_documents
from .model import Policy
from .yaml_source import decode_text, load_documents, read_file

# Findings that say only that a part outside the fragment is missing, by the part whose absence makes them moot.
MOOT_WITHOUT = {
    "models": frozenset({"no-models", "unknown-model", "no-default-model", "no-model-card"}),
    "signals": frozenset({"dangling-reference"}),
    "decisions": frozenset({"unused-signal"}),
}


def read_fragment(path: str | Path) -> tuple[Policy, str] | None:
    """(the fragment as a policy, what it holds) when ``path`` is a fragment; None for anything else."""
    raw, name = read_file(path)
    docs = load_documents(raw, name)
    kind = fragment_kind(docs[0].data) if len(docs) == 1 else None
    if kind is None:
        return None
    return policy_from_documents(docs, "fragment", decode_text(raw, name)), kind


def fragment_findings(policy: Policy) -> list[Finding]:
    """``validate_policy`` for a fragment: everything but what only the parts it lacks would settle."""
    from .validation import validate_policy

    routing = policy.routing
    moot: set[str] = set()
    if not policy.model_names():
        moot |= MOOT_WITHOUT["models"]
    if routing is None or not routing.all_signals():
        moot |= MOOT_WITHOUT["signals"]
    if routing is None or not routing.all_decisions():
        moot |= MOOT_WITHOUT["decisions"]
    return [f for f in validate_policy(policy) if f.code not in moot and tuple(f.path or ()) != ("version",)]


def _merge_named(base: list[Any], part: list[Any], where: SpecPath, notes: list[tuple[str, SpecPath, SpecPath]]
                 ) -> list[Any]:
    """``part``'s items in ``base`` by name: a namesake is replaced in place, a new one appended."""
    out = list(base)
    names = [b.get("name") if isinstance(b, dict) else None for b in out]
    for j, item in enumerate(part):
        name = item.get("name") if isinstance(item, dict) else None
        if name is not None and name in names:
            k = names.index(name)
            out[k] = item
            notes.append((f"replaces the base's '{name}'", where + (k,), where + (j,)))
        else:
            out.append(item)
            names.append(name)
            notes.append((f"adds '{name}'", where + (len(out) - 1,), where + (j,)))
    return out


def _merge(base: Any, part: Any, where: SpecPath, notes: list[tuple[str, SpecPath, SpecPath]]) -> Any:
    if isinstance(base, dict) and isinstance(part, dict):
        out = dict(base)
        for key, value in part.items():
            out[key] = _merge(base[key], value, where + (key,), notes) if key in base else value
            if key not in base:
                notes.append((f"adds {'.'.join(map(str, where + (key,)))}", where + (key,), where + (key,)))
        return out
    if isinstance(base, list) and isinstance(part, list) and all(isinstance(x, dict) and "name" in x for x in part):
        return _merge_named(base, part, where, notes)
    notes.append((f"sets {'.'.join(map(str, where))}", where, where))
    return copy.deepcopy(part)


def merge_onto(fragment: Policy, base: Policy) -> tuple[Policy, list[tuple[SpecPath, SpecPath]]]:
    """``fragment`` merged into ``base`` (see the module docstring), located in the base file, with
    (merged path, fragment path) for each part the fragment brought; a note per replacement or addition."""
    merged_notes: list[tuple[str, SpecPath, SpecPath]] = []
    spec = _merge(base.to_spec(), fragment.to_spec(), (), merged_notes)
    try:
        policy = Policy.from_spec(spec)
    except Exception as exc:  # the fragment's parts are each valid, so only their mix can fail here
        raise PolicyError.single("fragment-merge", f"{fragment.source_file} does not merge into "
                                 f"{base.source_file}: {exc}", file=fragment.source_file) from None
    notes = [fragment.locate(Finding("fragment-merged", Severity.INFO, f"{message} in {base.source_file}",
                                     path=frag_path)) for message, _, frag_path in merged_notes]
    policy.attach_source(base.source_file, base.source_map, base.dialect,
                         base.import_notes + fragment.import_notes + notes, base._path_moves)
    return policy, [(merged, frag) for _, merged, frag in merged_notes]


def relocate(findings: list[Finding], origins: list[tuple[SpecPath, SpecPath]], fragment: Policy) -> list[Finding]:
    """Findings on what the fragment brought, pointed into the fragment file (they were located in the base)."""
    out = []
    for f in findings:
        path = tuple(f.path or ())
        origin = next(((m, s) for m, s in origins if m and path[: len(m)] == m), None)
        if origin is None or f.code == "fragment-merged":
            out.append(f)
            continue
        moved = replace(f, file=None, line=None, column=None, path=origin[1] + path[len(origin[0]):])
        out.append(replace(fragment.locate(moved), path=f.path))
    return out


def check_source(path: str, dialect: str | None = None, base: str | None = None) -> tuple[list[Finding], str]:
    """(findings, layout label) for ``validate``: a whole config, a fragment on its own, or a fragment on ``base``."""
    from .validation import validate_policy

    if base is None:
        found = read_fragment(path) if dialect is None else None
        if found is not None:
            return fragment_findings(found[0]), f"fragment: {found[1]}"
        policy = load_policy(path, dialect)
        return validate_policy(policy), policy.dialect
    policy, origins, fragment = load_onto_base(path, base)
    return relocate(validate_policy(policy), origins, fragment), f"{fragment.dialect} on {base}"


def load_onto_base(path: str, base: str) -> tuple[Policy, list[tuple[SpecPath, SpecPath]], Policy]:
    """(merged policy, origins for :func:`relocate`, the part read from ``path``) for ``--base``."""
    found = read_fragment(path)
    part = found[0] if found is not None else load_policy(path)
    merged, origins = merge_onto(part, load_policy(base))
    return merged, origins, part


def not_whole(kind: str, path: str) -> PolicyError:
    """The refusal for importing a fragment without a base."""
    return PolicyError.single("fragment", f"a fragment ({kind}), not a whole router config: nothing to deploy on its "
                              "own", file=path, line=1, column=1,
                              suggestion=f"routing-studio import {path} --base WHOLE_CONFIG, or validate it alone")


__all__ = ["check_source", "fragment_findings", "load_onto_base", "merge_onto", "not_whole", "read_fragment",
           "relocate"]
