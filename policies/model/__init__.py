"""Typed policy model."""

from .base import SpecModel
from .decisions import Algorithm, Decision, ModelRef, Plugin
from .model_cards import ModelCard
from .policy import CANONICAL_VERSION, Policy
from .projections import Partition, ProjectionMapping, Projections, ProjectionScore
from .providers import BackendRef, Pricing, ProviderDefaults, ProviderModel, Providers
from .recipes import Entrypoint, EntrypointTable, Recipe, Route
from .routing import Profile, Routing
from .rules import OPERATORS, RuleNode
from .signals import Signal, Signals

__all__ = [
    "Algorithm", "BackendRef", "CANONICAL_VERSION", "Decision", "Entrypoint", "EntrypointTable", "ModelCard",
    "ModelRef", "OPERATORS", "Partition", "Plugin", "Policy", "Pricing", "Profile", "ProjectionMapping",
    "ProjectionScore", "Projections", "ProviderDefaults", "ProviderModel", "Providers", "Recipe",
    "Route", "Routing", "RuleNode", "Signal", "Signals", "SpecModel",
]
