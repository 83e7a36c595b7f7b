"""Numbered policy versions: the queries behind save, list, get, restore and diff.

Each function takes an open connection and runs inside the caller's transaction. The version
number is computed and inserted in the same transaction as the policy row lock, and the
(policy_id, version) unique constraint turns any remaining race into a retry (see db.write).
"""

from __future__ import annotations

import difflib
import hashlib
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .db import storage_error
from .records import PolicyInfo, PolicyVersion, VersionInfo
from .schema import policies, policy_versions

_parent = policy_versions.alias("parent")
_INFO_COLUMNS = (
    policies.c.name, policy_versions.c.version, policy_versions.c.author, policy_versions.c.created_at,
    policy_versions.c.message, policy_versions.c.content_sha256, _parent.c.version.label("parent_version"),
)
_FROM = policy_versions.join(policies, policies.c.id == policy_versions.c.policy_id).outerjoin(
    _parent, _parent.c.id == policy_versions.c.parent_version_id)


def sha256_text(text: str) -> str:
    """The content hash stored with every version (of the UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save(conn: Connection, policy_name: str, spec_yaml: str, author: str, message: str) -> VersionInfo:
    """Append version n+1 of ``policy_name`` (creating the policy on its first save)."""
    _check_name(policy_name)
    now = datetime.now(timezone.utc)
    policy_id = _lock_or_create_policy(conn, policy_name, now)
    head = conn.execute(
        sa.select(policy_versions.c.id, policy_versions.c.version)
        .where(policy_versions.c.policy_id == policy_id)
        .order_by(policy_versions.c.version.desc()).limit(1)
    ).first()
    number = head.version + 1 if head else 1
    digest = sha256_text(spec_yaml)
    conn.execute(policy_versions.insert().values(
        policy_id=policy_id, version=number, author=author, created_at=now, message=message,
        spec_yaml=spec_yaml, content_sha256=digest, parent_version_id=head.id if head else None,
    ))
    return VersionInfo(policy_name, number, author, now, message, digest, head.version if head else None)


def list_policies(conn: Connection) -> list[PolicyInfo]:
    """Every policy with its latest version number, by name."""
    latest = (
        sa.select(policy_versions.c.policy_id,
                  sa.func.max(policy_versions.c.version).label("latest"),
                  sa.func.max(policy_versions.c.created_at).label("updated_at"))
        .group_by(policy_versions.c.policy_id).subquery()
    )
    rows = conn.execute(
        sa.select(policies.c.name, policies.c.created_at, latest.c.latest, latest.c.updated_at)
        .join(latest, latest.c.policy_id == policies.c.id).order_by(policies.c.name)
    )
    return [PolicyInfo(r.name, r.created_at, r.latest, r.updated_at) for r in rows]


def list_versions(conn: Connection, policy_name: str) -> list[VersionInfo]:
    """All versions of a policy, oldest first; PolicyError if the policy does not exist."""
    rows = conn.execute(sa.select(*_INFO_COLUMNS).select_from(_FROM)
                        .where(policies.c.name == policy_name).order_by(policy_versions.c.version)).all()
    if not rows:
        raise _not_found(conn, policy_name, None)
    return [_info(r) for r in rows]


def get(conn: Connection, policy_name: str, version: int | None = None) -> PolicyVersion:
    """One version with its YAML; the latest when ``version`` is None."""
    query = sa.select(*_INFO_COLUMNS, policy_versions.c.spec_yaml).select_from(_FROM).where(
        policies.c.name == policy_name)
    if version is None:
        query = query.order_by(policy_versions.c.version.desc()).limit(1)
    else:
        query = query.where(policy_versions.c.version == version)
    row = conn.execute(query).first()
    if row is None:
        raise _not_found(conn, policy_name, version)
    return PolicyVersion(*_info_values(row), spec_yaml=row.spec_yaml)


def restore(conn: Connection, policy_name: str, version: int, author: str) -> VersionInfo:
    """Save the content of an old version as the newest one, with message ``restore vN``."""
    old = get(conn, policy_name, version)
    return save(conn, policy_name, old.spec_yaml, author, f"restore v{version}")


def diff(conn: Connection, policy_name: str, a: int, b: int, context: int = 3) -> str:
    """Unified diff of the YAML text of versions ``a`` and ``b`` ('' when identical)."""
    old, new = get(conn, policy_name, a), get(conn, policy_name, b)
    lines = difflib.unified_diff(old.spec_yaml.splitlines(), new.spec_yaml.splitlines(),
                                 fromfile=f"{policy_name}@v{a}", tofile=f"{policy_name}@v{b}",
                                 n=context, lineterm="")
    text = "\n".join(lines)
    return text + "\n" if text else ""


def _lock_or_create_policy(conn: Connection, name: str, now: datetime) -> int:
    # FOR UPDATE queues concurrent savers of one policy on PostgreSQL (SQLite's BEGIN IMMEDIATE
    # already serialises writers); a first save racing another one fails the unique name and retries.
    policy_id = conn.execute(
        sa.select(policies.c.id).where(policies.c.name == name).with_for_update()).scalar()
    if policy_id is None:
        policy_id = conn.execute(policies.insert().values(name=name, created_at=now)
                                 .returning(policies.c.id)).scalar_one()
    return policy_id


def _not_found(conn: Connection, policy_name: str, version: int | None) -> Exception:
    latest = conn.execute(
        sa.select(sa.func.max(policy_versions.c.version)).select_from(_FROM)
        .where(policies.c.name == policy_name)).scalar()
    if latest is None:
        return storage_error("storage.not_found", f"no policy named {policy_name!r} has been saved")
    return storage_error("storage.not_found",
                         f"policy {policy_name!r} has no version {version} (versions are 1..{latest})")


def _check_name(policy_name: str) -> None:
    if not policy_name or not policy_name.strip() or len(policy_name) > 200:
        raise storage_error("storage.bad_name", f"policy name {policy_name!r} must be 1-200 characters")


def _info_values(row: Row) -> tuple:
    return (row.name, row.version, row.author, row.created_at, row.message, row.content_sha256,
            row.parent_version)


def _info(row: Row) -> VersionInfo:
    return VersionInfo(*_info_values(row))

