"""Recipe and entrypoint references: names that select a routing profile must be unambiguous.

The rules are vllm-sr 0.4.0's (``cli/validator_recipe_contracts.py``: ``_recipe_name_contract``,
``_validate_entrypoints``, ``_reserved_routing_models``; ``cli/models.py``: ``Entrypoint``,
``Recipe``) and the router's own load-time checks (vllm-project/semantic-router
``src/semantic-router/pkg/config/canonical_recipes.go``: ``validateCanonicalRecipes``,
``normalizeCanonicalEntrypoints``, ``entrypointNameConflict``; vllm-sr's schema has no
``modelCards`` in a recipe's routing either). The recipe ``default`` always
exists (the top-level routing); a config may declare it as a recipe only when the top-level
routing holds no profile. Which names are aliases is :mod:`policies.model.recipes`.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import Finding
from ..model import Policy, Routing
from ..model.recipes import DEFAULT_RECIPE, auto_model_names, looper_aliases, routable_model_names
from .base import did_you_mean, error, policy_check, warning

RESERVED_RECIPE = "@global"  # vllm-sr 0.4.0: reserved for shared model services


def _holds_profile(routing: Routing | None) -> bool:
    """Whether the top-level routing carries profile content (model cards are the shared catalog)."""
    def filled(value: Any) -> bool:
        return any(filled(v) for v in value.values()) if isinstance(value, dict) else bool(value)

    spec = routing.to_spec() if routing else {}
    return spec.get("strategy") is not None or any(filled(v) for k, v in spec.items() if k != "modelCards")


def _recipe_names(policy: Policy) -> Iterator[Finding]:
    explicit_default_allowed = not _holds_profile(policy.routing)
    first: dict[str, int] = {}
    for i, recipe in enumerate(policy.recipes or []):
        name, path = recipe.name.strip(), ("recipes", i, "name")
        if not name:
            yield error("recipe-name", "recipe name is empty", path, "name the recipe")
            continue
        if name == RESERVED_RECIPE:
            yield error("reserved-recipe", f"recipe name '{name}' is reserved for shared model services", path,
                        "choose another name")
        if name == DEFAULT_RECIPE and name not in first and not explicit_default_allowed:
            yield error("duplicate-recipe", "recipe 'default' is the top-level routing, which already holds a "
                        "profile", path, "rename the recipe, or move the top-level routing entirely into it")
        elif name in first:
            yield error("duplicate-recipe", f"recipe '{name}' is declared twice (also recipes[{first[name]}])",
                        path, "rename or remove one")
        first.setdefault(name, i)
        if recipe.routing is not None and recipe.routing.model_cards is not None:
            yield error("recipe-model-cards", f"recipe '{name}' declares modelCards; the model catalog is shared "
                        "by every recipe", ("recipes", i, "routing", "modelCards"),
                        "move the cards under the top-level routing.modelCards")


def _entrypoints(policy: Policy) -> Iterator[Finding]:
    recipes = {r.name.strip() for r in policy.recipes or []} | {DEFAULT_RECIPE}
    concrete = set(routable_model_names(policy))
    aliases = set(auto_model_names(policy)) | set(looper_aliases(policy))
    claimed: dict[str, int] = {}
    for i, entry in enumerate(policy.entrypoints or []):
        recipe = (entry.recipe or "").strip()
        if not recipe:
            yield error("entrypoint-recipe", f"entrypoints[{i}] names no recipe", ("entrypoints", i),
                        "add recipe: <name of a recipe, or default>")
        elif recipe not in recipes:
            yield error("unknown-recipe", f"entrypoints[{i}] routes to recipe '{recipe}', which is not declared",
                        ("entrypoints", i, "recipe"), did_you_mean(recipe, sorted(recipes)) or
                        "declare it under recipes, or use default (the top-level routing)")
        names = [(j, n.strip()) for j, n in enumerate(entry.model_names or []) if isinstance(n, str) and n.strip()]
        if not names:
            yield error("entrypoint-names", f"entrypoints[{i}] lists no model name", ("entrypoints", i),
                        "add model_names: [<virtual model name>]")
        for j, name in names:
            path = ("entrypoints", i, "model_names", j)
            if name in claimed and claimed[name] != i:
                yield error("entrypoint-name-taken", f"model name '{name}' is already mapped by "
                            f"entrypoints[{claimed[name]}]", path, "map each virtual name once")
            claimed.setdefault(name, i)
            meaning = ("a configured model" if name in concrete else
                       "a router alias (auto or looper)" if name in aliases else None)
            if meaning:
                yield error("entrypoint-name-conflict", f"entrypoint model name '{name}' is already {meaning}; "
                            "entrypoint names must be new virtual names", path, "choose a new name, e.g. "
                            f"'vllm-sr/{recipe or 'recipe'}'")


def _decision_names(policy: Policy) -> Iterator[Finding]:
    """A decision name used by two profiles: vllm-sr 0.4.0 accepts it, some router versions refuse it
    (``canonical_recipes.go`` ``validateDecisionNamesAcrossRecipes``: the selected-decision header,
    metrics and plugin lookups key on the bare name), and a simulation's per-decision table counts
    both under one name."""
    owners: dict[str, str] = {}
    for profile in policy.profiles():
        for j, decision in enumerate(profile.routing.all_decisions()):
            owner = owners.setdefault(decision.name, profile.label)
            if owner != profile.label:
                yield warning("decision-name-across-recipes",
                              f"decision '{decision.name}' is also defined by profile '{owner}'; headers and "
                              "metrics key on the bare name (some router versions refuse this) and reports "
                              "count both as one", profile.path + ("decisions", j, "name"), "rename one of them")


@policy_check
def recipe_references(policy: Policy) -> Iterator[Finding]:
    """Recipe names are unique, and every entrypoint maps new names to a recipe that exists."""
    yield from _recipe_names(policy)
    yield from _entrypoints(policy)
    yield from _decision_names(policy)
