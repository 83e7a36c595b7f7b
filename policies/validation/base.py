"""Validation plumbing: a registry of checks, each yielding located findings for one profile."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..errors import Finding, Severity, SpecPath, did_you_mean
from ..model import Policy, Profile

# Stated bounds on rule trees (vLLM SR #2938 asks for caps; the router has none).
MAX_RULE_DEPTH = 12
MAX_RULE_NODES = 256


@dataclass(frozen=True)
class Context:
    policy: Policy
    profile: Profile

    def path(self, *parts: str | int) -> SpecPath:
        return self.profile.path + parts


Check = Callable[[Context], Iterable[Finding]]
PolicyCheck = Callable[[Policy], Iterable[Finding]]
PROFILE_CHECKS: list[Check] = []
POLICY_CHECKS: list[PolicyCheck] = []


def profile_check(fn: Check) -> Check:
    """Register a check run once per routing profile (top level and each recipe)."""
    PROFILE_CHECKS.append(fn)
    return fn


def policy_check(fn: PolicyCheck) -> PolicyCheck:
    """Register a check run once per policy (providers, top-level keys)."""
    POLICY_CHECKS.append(fn)
    return fn


def error(code: str, message: str, path: SpecPath, suggestion: str | None = None, **data) -> Finding:
    return Finding(code, Severity.ERROR, message, path=path, suggestion=suggestion, data=data)


def warning(code: str, message: str, path: SpecPath, suggestion: str | None = None, **data) -> Finding:
    return Finding(code, Severity.WARNING, message, path=path, suggestion=suggestion, data=data)


def unknown_keys(keys: Iterable[str], allowed: Iterable[str], path: SpecPath, what: str) -> Iterator[Finding]:
    allowed = list(allowed)
    for key in keys:
        if key not in allowed:
            yield error("unknown-field", f"unknown {what} field '{key}' (vllm-sr 0.4.0 rejects it)", path + (key,),
                        did_you_mean(key, allowed) or f"allowed: {', '.join(sorted(allowed))}")
