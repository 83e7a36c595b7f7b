"""Routing profiles as spec dicts: the top-level ``routing`` block or one recipe's isolated copy.

A recipe (``recipes[].routing``) has its own signals and decisions and is analysed on its own, so
the rule builder edits exactly one profile at a time. These helpers find, add and remove a
profile's routing block inside a policy spec (what the YAML holds); the builder hands the edited
spec to ``PolicyState.apply_spec`` so undo, validation and the text view see one ordinary edit.
"""

from __future__ import annotations

import copy
from typing import Any

from policies.api import Policy, Routing

TOP_LEVEL = ""  # the profile name of the top-level ``routing`` block (as in ``Policy.profiles()``)


def recipe_names(policy: Policy | None) -> list[str]:
    """Recipe names in file order (the top-level profile not included)."""
    return [p.name for p in policy.profiles()[1:]] if policy is not None else []


def profile_routing(policy: Policy | None, profile: str) -> Routing | None:
    """The engine's view of one profile's routing (None when the policy has no such profile)."""
    if policy is None:
        return None
    return next((p.routing for p in policy.profiles() if p.name == profile), None)


def routing_spec(spec: dict[str, Any], profile: str) -> dict[str, Any]:
    """The mutable routing dict of ``profile`` inside a policy spec, created when absent.

    Raises KeyError naming the recipe when the spec has no recipe of that name.
    """
    if profile == TOP_LEVEL:
        return spec.setdefault("routing", {})
    for recipe in spec.get("recipes") or []:
        if isinstance(recipe, dict) and recipe.get("name") == profile:
            if not isinstance(recipe.get("routing"), dict):
                recipe["routing"] = {}
            return recipe["routing"]
    raise KeyError(f"no recipe named {profile!r}")


def fresh_recipe_name(spec: dict[str, Any]) -> str:
    """``recipe_<n>`` with the smallest ``n`` no recipe uses yet."""
    taken = {r.get("name") for r in spec.get("recipes") or [] if isinstance(r, dict)}
    return next(f"recipe_{i}" for i in range(1, len(taken) + 2) if f"recipe_{i}" not in taken)


def add_recipe(spec: dict[str, Any], name: str, copy_of: str = TOP_LEVEL) -> None:
    """Append recipe ``name`` whose routing starts as a copy of profile ``copy_of``.

    ``modelCards`` are left out: the spec allows them only in the top-level routing. Raises
    ValueError when the name is blank or already taken (recipes are looked up by name).
    """
    name = _unused_name(spec, name)
    routing = {k: copy.deepcopy(v) for k, v in routing_spec(spec, copy_of).items() if k != "modelCards"}
    spec.setdefault("recipes", []).append({"name": name, "routing": routing})


def rename_recipe(spec: dict[str, Any], old: str, new: str) -> int:
    """Rename recipe ``old`` to ``new``, and every entrypoint naming it with it (none is left
    dangling); returns how many entrypoints followed. ValueError for a blank or taken name."""
    new = _unused_name(spec, new)
    recipe = next((r for r in spec.get("recipes") or [] if isinstance(r, dict) and r.get("name") == old), None)
    if recipe is None:
        raise KeyError(f"no recipe named {old!r}")
    recipe["name"] = new
    users = [e for e in spec.get("entrypoints") or [] if isinstance(e, dict) and e.get("recipe") == old]
    for entrypoint in users:
        entrypoint["recipe"] = new
    return len(users)


def _unused_name(spec: dict[str, Any], name: str) -> str:
    """``name`` stripped; ValueError when blank or already a recipe's (recipes are looked up by name)."""
    name = name.strip()
    if not name:
        raise ValueError("A recipe needs a name.")
    if any(isinstance(r, dict) and r.get("name") == name for r in spec.get("recipes") or []):
        raise ValueError(f"A recipe named '{name}' already exists.")
    return name


def remove_recipe(spec: dict[str, Any], name: str) -> None:
    """Remove recipe ``name``; an entrypoint still naming it is a ValueError (it would dangle)."""
    users = [i for i, e in enumerate(spec.get("entrypoints") or []) if isinstance(e, dict) and e.get("recipe") == name]
    if users:
        where = ", ".join(f"entrypoints[{i}]" for i in users)
        raise ValueError(f"Recipe '{name}' is used by {where}: point those elsewhere first.")
    kept = [r for r in spec.get("recipes") or [] if not (isinstance(r, dict) and r.get("name") == name)]
    if kept:
        spec["recipes"] = kept
    else:
        spec.pop("recipes", None)
