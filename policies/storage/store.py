"""The one entry point to persisted studio state: policy versions, drafts, traffic sets, runs.

``Store.open()`` accepts any SQLAlchemy URL (SQLite file by default, PostgreSQL for a shared
studio), migrates the schema, and exposes plain methods that each run as one transaction and
return frozen records, so nothing database-shaped escapes to the UI or CLI.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine

from . import db, drafts, migrate, runs, version_models, versions
from .records import (Draft, PolicyInfo, PolicyVersion, SimulationRun, SimulationRunInfo, TrafficSetInfo, VersionInfo,
                      VersionModels)


class Store:
    """Persistent studio state behind one SQLAlchemy engine; safe to share between threads."""

    def __init__(self, engine: Engine):
        """Wrap an engine whose schema is already current; use :meth:`open` instead."""
        self._engine = engine

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None) -> "Store":
        """Open (creating and migrating as needed) the store at ``url``, ``$ROUTING_STUDIO_DB``
        or ``~/.local/share/routing-studio/studio.sqlite``; a plain path means a SQLite file."""
        engine = db.create_engine(db.resolve_url(url))
        try:
            migrate.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def url(self) -> str:
        """Where the store lives, with any password masked (for logs and the UI)."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release pooled connections; the store may not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # Policy versions

    def save_version(self, policy_name: str, spec_yaml: str, author: str, message: str = "") -> VersionInfo:
        """Save ``spec_yaml`` as the next version of ``policy_name`` (version 1 creates the policy)."""
        return db.write(self._engine, lambda c: versions.save(c, policy_name, spec_yaml, author, message))

    def save_version_models(self, policy_name: str, version: int, models_yaml: str,
                            checksums: dict[str, Any]) -> VersionModels:
        """Keep the own-model mapping (``models.yaml`` text and file checksums) a version was simulated with."""
        return db.write(self._engine, lambda c: version_models.save(c, policy_name, version, models_yaml, checksums))

    def get_version_models(self, policy_name: str, version: int) -> VersionModels | None:
        """The mapping saved with a version, or None when it used the bundled models."""
        return db.read(self._engine, lambda c: version_models.load(c, policy_name, version))

    def list_policies(self) -> list[PolicyInfo]:
        """Every saved policy with its latest version, by name."""
        return db.read(self._engine, versions.list_policies)

    def list_versions(self, policy_name: str) -> list[VersionInfo]:
        """The history of one policy, oldest first (without the YAML payloads)."""
        return db.read(self._engine, lambda c: versions.list_versions(c, policy_name))

    def get_version(self, policy_name: str, version: int | None = None) -> PolicyVersion:
        """A version with its YAML text; the latest when ``version`` is None."""
        return db.read(self._engine, lambda c: versions.get(c, policy_name, version))

    def restore_version(self, policy_name: str, version: int, author: str) -> VersionInfo:
        """Make the content of ``version`` current again as a new version ("restore vN")."""
        return db.write(self._engine, lambda c: versions.restore(c, policy_name, version, author))

    def diff_versions(self, policy_name: str, a: int, b: int) -> str:
        """Unified text diff between two versions' YAML ('' when identical)."""
        return db.read(self._engine, lambda c: versions.diff(c, policy_name, a, b))

    # Drafts

    def save_draft(self, owner: str, policy_name: str, spec_yaml: str) -> Draft:
        """Autosave unsaved edits for ``owner`` (a session or user key)."""
        return db.write(self._engine, lambda c: drafts.save(c, owner, policy_name, spec_yaml))

    def get_draft(self, owner: str, policy_name: str) -> Draft | None:
        """The autosaved draft, or None."""
        return db.read(self._engine, lambda c: drafts.get(c, owner, policy_name))

    def discard_draft(self, owner: str, policy_name: str) -> bool:
        """Forget the draft (after a save or an explicit discard); True if one existed."""
        return db.write(self._engine, lambda c: drafts.discard(c, owner, policy_name))

    # Traffic sets and simulation runs

    def register_traffic_set(self, name: str, source: str, format: str, row_count: int,
                             sha256: str) -> TrafficSetInfo:
        """Record a traffic file (idempotent for the same content, PolicyError for a changed one)."""
        return db.write(self._engine,
                        lambda c: runs.register_traffic_set(c, name, source, format, row_count, sha256))

    def list_traffic_sets(self) -> list[TrafficSetInfo]:
        """Every registered traffic set, by name."""
        return db.read(self._engine, runs.list_traffic_sets)

    def save_simulation_run(self, policy_name: str, summary: dict[str, Any], *, version: int | None = None,
                            traffic_set_id: int | None = None,
                            decisions: list[dict[str, Any]] | None = None) -> SimulationRunInfo:
        """Store a simulation's summary (and optionally per-decision rows); ``version`` None = a draft."""
        return db.write(self._engine,
                        lambda c: runs.save_run(c, policy_name, version, traffic_set_id, summary, decisions))

    def list_simulation_runs(self, policy_name: str) -> list[SimulationRunInfo]:
        """Runs of one policy, oldest first, without decision rows."""
        return db.read(self._engine, lambda c: runs.list_runs(c, policy_name))

    def get_simulation_run(self, run_id: int) -> SimulationRun:
        """One run including its decision rows."""
        return db.read(self._engine, lambda c: runs.get_run(c, run_id))
