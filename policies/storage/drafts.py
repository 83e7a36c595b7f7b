"""Autosaved drafts: the last unsaved edit per owner and policy, kept until saved or discarded.

They live in the database, not in the browser session, so a reload or a server restart finds them.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .records import Draft
from .schema import drafts

_KEY = (drafts.c.owner, drafts.c.policy_name)


def save(conn: Connection, owner: str, policy_name: str, spec_yaml: str) -> Draft:
    """Insert or overwrite the draft; portable upsert (update, else insert; a racing insert retries)."""
    now = datetime.now(timezone.utc)
    updated = conn.execute(drafts.update().where(*_match(owner, policy_name))
                           .values(spec_yaml=spec_yaml, updated_at=now))
    if updated.rowcount == 0:
        conn.execute(drafts.insert().values(owner=owner, policy_name=policy_name,
                                            spec_yaml=spec_yaml, updated_at=now))
    return Draft(owner, policy_name, spec_yaml, now)


def get(conn: Connection, owner: str, policy_name: str) -> Draft | None:
    """The draft, or None when there is nothing unsaved."""
    row = conn.execute(sa.select(drafts).where(*_match(owner, policy_name))).first()
    return Draft(row.owner, row.policy_name, row.spec_yaml, row.updated_at) if row else None


def discard(conn: Connection, owner: str, policy_name: str) -> bool:
    """Drop the draft; True if there was one."""
    return conn.execute(drafts.delete().where(*_match(owner, policy_name))).rowcount > 0


def _match(owner: str, policy_name: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (drafts.c.owner == owner, drafts.c.policy_name == policy_name)
