"""Routing Studio engine: policy model, validation, conflict analysis, simulation, import/export.

No UI imports here: the engine is usable from scripts, notebooks, CI and the studio alike.
"""

from .errors import Finding, PolicyError, Severity
from .model import Decision, Policy, RuleNode, Signal

__all__ = ["Decision", "Finding", "Policy", "PolicyError", "RuleNode", "Severity", "Signal"]
