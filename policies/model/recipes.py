"""Recipes and entrypoints: which routing profile evaluates a request, chosen by its model name.

A config may hold several routing profiles: the top-level ``routing`` (the router calls it the
``default`` recipe) and named ``recipes[]``. The request's ``model`` field picks one before any
signal is evaluated; a concrete model name picks none, and the request goes to that model as
asked. Behaviour and defaults come from the router (vllm-project/semantic-router, read, not copied):

- ``src/semantic-router/pkg/config/recipes.go``: ``RecipeForRoutingModel`` — an auto-model alias
  or a looper alias selects the default recipe; a name listed in an entrypoint's ``model_names``
  selects that entrypoint's recipe (exact match after trimming spaces, first entrypoint listing
  it); any other name selects no recipe. ``DefaultRecipe``: an explicit recipe named ``default``
  (recipes-only layout) else the top-level routing. ``DefaultRecipeName = "default"``.
- ``src/semantic-router/pkg/extproc/req_filter_entrypoint.go``: ``resolveEntrypointForRequest`` —
  no recipe means ``SelectPassthrough``: no signal, no decision, the request keeps its model;
  ``decisionCandidatesForRequest`` — exactly the selected recipe's decisions (recipes never fall
  back to the default profile); a looper alias keeps only the default recipe's decisions whose
  ``algorithm.type`` is that looper's (``remom``, ``fusion``, ``workflows`` for flow).
  ``classifierForRequest`` and ``recipes.go`` ``ConfigForRecipe``: a recipe evaluates its own
  signals and projections with its own strategy, never the default profile's; providers, model
  cards and ``global`` stay shared.
- ``src/semantic-router/pkg/config/canonical_global.go`` (``applyCanonicalRouterGlobal``) and the
  router's ``EffectiveAutoModelNames``: ``global.router.auto_model_names``, when given, is the whole
  list of auto aliases; otherwise ``vllm-sr/auto``, ``auto`` and ``auto_model_name`` (default
  ``MoM``, ``canonical_defaults.go``). vllm-sr 0.4.0 ``cli/validator_recipe_contracts.py``
  (``_reserved_auto_aliases``, ``_reserved_looper_aliases``) reserves the same names, with the looper
  defaults ``vllm-sr/remom``, ``vllm-sr/fusion``, ``vllm-sr/flow`` replaced by
  ``global.integrations.looper.<family>.model_names``.
- A passthrough request is served and priced as the configured model it names: by name, model card,
  LoRA adapter (its card's base model: ``resolveLoRABaseModel``), ``provider_model_id`` or
  ``external_model_ids`` (``resolveModelConfig``), ``src/semantic-router/pkg/config/helper.go``.
- A selected recipe where no decision matches routes to ``providers.defaults.model``
  (``pkg/extproc`` ``defaultModelForUnmatchedDecision``): the engine's default route, unchanged.

Not the router: a request with no model name, or one the policy knows neither as an alias, an
entrypoint nor a configured model (logs from another gateway name that gateway's aliases), is
resolved as ``unresolved`` and simulated through the default recipe as if sent to an auto alias;
the router would forward such a name as a concrete model that no backend serves. The simulation
reports how many requests were resolved that way, so it is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import SpecModel
from .routing import Routing

if TYPE_CHECKING:
    from .policy import Policy

DEFAULT_RECIPE = "default"
DEFAULT_AUTO_MODEL_NAME = "MoM"  # canonical_defaults.go: global.router.auto_model_name
BUILTIN_AUTO_ALIASES = ("vllm-sr/auto", "auto")
# looper family -> (its default alias, the decision algorithm type it keeps)
LOOPER_FAMILIES = {"remom": ("vllm-sr/remom", "remom"), "fusion": ("vllm-sr/fusion", "fusion"),
                   "flow": ("vllm-sr/flow", "workflows")}

# How a request reached its profile (the ``route`` column of a simulation).
AUTO, ENTRYPOINT, LOOPER, PASSTHROUGH, UNRESOLVED = "auto", "entrypoint", "looper", "passthrough", "unresolved"


class Recipe(SpecModel):
    name: str
    description: str | None = None
    routing: Routing | None = None


class Entrypoint(SpecModel):
    model_names: list[str] | None = None
    recipe: str | None = None


@dataclass(frozen=True)
class Route:
    """Where one model name sends a request: a profile (``profile`` as in :meth:`Policy.profiles`,
    ``""`` = top-level routing) or, for ``PASSTHROUGH``, straight to the named model."""

    via: str  # AUTO, ENTRYPOINT, LOOPER, PASSTHROUGH or UNRESOLVED
    recipe: str | None  # the router's recipe name ("default" for the default profile); None = passthrough
    profile: str | None  # key into Policy.profiles(); None = passthrough
    algorithm: str | None = None  # a looper alias keeps only decisions of this algorithm type
    model: str | None = None  # PASSTHROUGH: the configured model that serves (and prices) the request


def _names(values: Any) -> list[str]:
    """Trimmed, non-empty, first-seen-order names (the router's normalizeAutoModelNames)."""
    out: list[str] = []
    for value in values if isinstance(values, list) else []:
        name = value.strip() if isinstance(value, str) else ""
        if name and name not in out:
            out.append(name)
    return out


def auto_model_names(policy: "Policy") -> list[str]:
    """The model names that ask the router to route with the default recipe."""
    router = (policy.global_ or {}).get("router") or {}
    if isinstance(router, dict) and isinstance(router.get("auto_model_names"), list):
        return _names(router["auto_model_names"])
    name = router.get("auto_model_name") if isinstance(router, dict) else None
    return _names([*BUILTIN_AUTO_ALIASES, name if isinstance(name, str) and name.strip() else DEFAULT_AUTO_MODEL_NAME])


def looper_aliases(policy: "Policy") -> dict[str, str]:
    """Looper alias -> the decision algorithm type it restricts the default recipe to."""
    looper = ((policy.global_ or {}).get("integrations") or {}).get("looper") or {}
    out: dict[str, str] = {}
    for family, (default_alias, algorithm) in LOOPER_FAMILIES.items():
        block = looper.get(family) if isinstance(looper, dict) else None
        names = _names(block.get("model_names")) if isinstance(block, dict) else []
        for name in names or [default_alias]:
            out.setdefault(name, algorithm)
    return out


def routable_model_names(policy: "Policy") -> dict[str, str]:
    """Configured model names -> the model serving them: provider models and model cards serve
    themselves, a LoRA adapter its card's base model (the router's ``resolveLoRABaseModel``)."""
    out = {name: name for name in policy.model_names()}
    for card in (policy.routing or Routing()).model_cards or []:
        out.setdefault(card.name, card.name)
        for lora in card.loras or []:
            if isinstance(lora, dict) and isinstance(lora.get("name"), str):
                out.setdefault(lora["name"], card.name)
    return out


def passthrough_models(policy: "Policy") -> dict[str, str]:
    """Every name a request may give for a configured model -> that model: :func:`routable_model_names`
    plus each model's ``provider_model_id`` and ``external_model_ids`` (the router's
    ``resolveModelConfig`` finds a model's pricing by these too, ``pkg/config/helper.go``)."""
    out = routable_model_names(policy)
    for model in policy.providers.models if policy.providers else []:
        ids = model.extra_fields().get("external_model_ids")
        for alias in [model.provider_model_id, *(ids.values() if isinstance(ids, dict) else [])]:
            if isinstance(alias, str) and alias.strip():
                out.setdefault(alias.strip(), model.name)
    return out


def default_profile(policy: "Policy") -> str:
    """Profile key of the default recipe: an explicit recipe ``default``, else the top-level routing."""
    return DEFAULT_RECIPE if any(r.name == DEFAULT_RECIPE for r in policy.recipes or []) else ""


class EntrypointTable:
    """Resolves model names to routes for one policy (built once, then one dict lookup per name)."""

    def __init__(self, policy: "Policy") -> None:
        default = default_profile(policy)
        recipes = {r.name for r in policy.recipes or []}
        self._default = default
        self._routes: dict[str, Route] = {}
        for name in auto_model_names(policy):
            self._routes.setdefault(name, Route(AUTO, DEFAULT_RECIPE, default))
        for name, algorithm in looper_aliases(policy).items():
            self._routes.setdefault(name, Route(LOOPER, DEFAULT_RECIPE, default, algorithm))
        for entry in policy.entrypoints or []:
            recipe = (entry.recipe or "").strip()
            if recipe == DEFAULT_RECIPE:
                target = Route(ENTRYPOINT, DEFAULT_RECIPE, default)
            elif recipe in recipes:
                target = Route(ENTRYPOINT, recipe, recipe)
            else:
                continue  # an unknown recipe is a validation error; the router refuses the config
            for name in _names(entry.model_names):
                self._routes.setdefault(name, target)
        self._concrete = {n: m for n, m in passthrough_models(policy).items() if n not in self._routes}

    def resolve(self, model_name: str | None) -> Route:
        """The route of a request whose ``model`` field is ``model_name`` (None: not logged)."""
        name = (model_name or "").strip()
        if name in self._routes:
            return self._routes[name]
        if name in self._concrete:
            return Route(PASSTHROUGH, None, None, model=self._concrete[name])
        return Route(UNRESOLVED, DEFAULT_RECIPE, self._default)
