"""What the store hands back: small frozen dataclasses, never ORM rows.

Callers (the studio, CLI, notebooks) get plain values that outlive the transaction that read them,
so no database session or lazy load can leak out of the storage layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PolicyInfo:
    """A named policy and where its history stands."""

    name: str
    created_at: datetime
    latest_version: int
    updated_at: datetime


@dataclass(frozen=True)
class VersionInfo:
    """One saved version without its payload (cheap to list)."""

    policy_name: str
    version: int
    author: str
    created_at: datetime
    message: str
    content_sha256: str
    parent_version: int | None


@dataclass(frozen=True)
class PolicyVersion(VersionInfo):
    """A saved version with its canonical YAML text."""

    spec_yaml: str


@dataclass(frozen=True)
class Draft:
    """Unsaved edits autosaved for one owner (session or user) and policy."""

    owner: str
    policy_name: str
    spec_yaml: str
    updated_at: datetime


@dataclass(frozen=True)
class TrafficSetInfo:
    """A registered traffic file that simulations replay."""

    id: int
    name: str
    source: str
    format: str
    row_count: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class SimulationRunInfo:
    """A stored simulation result; ``version`` is None for a run on an unsaved draft."""

    id: int
    policy_name: str
    version: int | None
    traffic_set_id: int | None
    created_at: datetime
    summary: dict[str, Any]
    has_decisions: bool


@dataclass(frozen=True)
class SimulationRun(SimulationRunInfo):
    """A simulation run with its per-decision rows, when they were kept."""

    decisions: list[dict[str, Any]] | None


@dataclass(frozen=True)
class VersionModels:
    """The own-model mapping saved with a version: ``models.yaml`` text, per binding its files' sha256."""

    policy_name: str
    version: int
    models_yaml: str
    checksums: dict[str, Any]
