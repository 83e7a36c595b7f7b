"""The own-model mapping of a policy version: its ``models.yaml`` text and each model file's sha256.

Why beside the version and not inside it: the policy YAML is what the router deploys; which local
models a team simulated it with is the studio's record (:mod:`policies.models_config`), kept so a
saved version re-simulates with the same classifiers, and so a changed model file shows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .records import VersionModels
from .schema import version_models
from .versions import get


def save(conn: Connection, policy_name: str, version: int, models_yaml: str,
         checksums: dict[str, Any]) -> VersionModels:
    """Record (or replace) the mapping of an existing version."""
    get(conn, policy_name, version)  # a clear not-found error for a version never saved
    key = (version_models.c.policy_name == policy_name) & (version_models.c.version == version)
    conn.execute(version_models.delete().where(key))
    conn.execute(version_models.insert().values(policy_name=policy_name, version=version, models_yaml=models_yaml,
                                                checksums=checksums))
    return VersionModels(policy_name, version, models_yaml, checksums)


def load(conn: Connection, policy_name: str, version: int) -> VersionModels | None:
    """The mapping saved with that version, or None (simulated with the bundled models)."""
    row = conn.execute(sa.select(version_models).where(
        (version_models.c.policy_name == policy_name) & (version_models.c.version == version))).first()
    return None if row is None else VersionModels(row.policy_name, row.version, row.models_yaml, dict(row.checksums))
