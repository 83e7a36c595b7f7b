"""The current table layout, used by the queries (migrations keep their own frozen copies).

``tests/policies/storage`` checks that migrating an empty database to head yields exactly this
layout, so the two cannot drift apart silently.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

NAME = sa.String(200)
# none_as_null: "no decision rows kept" is SQL NULL, not the JSON text 'null'.
JSON = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite drops the offset, so it is restored on read)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


policies = sa.Table(
    "policies", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", NAME, nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

policy_versions = sa.Table(
    "policy_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("policy_id", sa.Integer, sa.ForeignKey("policies.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("author", NAME, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("spec_yaml", sa.Text, nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("parent_version_id", sa.Integer, sa.ForeignKey("policy_versions.id"), nullable=True),
    sa.UniqueConstraint("policy_id", "version"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
)

drafts = sa.Table(
    "drafts", metadata,
    sa.Column("owner", NAME, primary_key=True),
    sa.Column("policy_name", NAME, primary_key=True),
    sa.Column("spec_yaml", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

traffic_sets = sa.Table(
    "traffic_sets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", NAME, nullable=False, unique=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

simulation_runs = sa.Table(
    "simulation_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("policy_name", NAME, nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("traffic_set_id", sa.Integer, sa.ForeignKey("traffic_sets.id"), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("summary", JSON, nullable=False),
    sa.Column("decisions", JSON, nullable=True),
)

# The own-model mapping (models.yaml, policies.models_config) a policy version was simulated with.
version_models = sa.Table(
    "version_models", metadata,
    sa.Column("policy_name", NAME, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("models_yaml", sa.Text, nullable=False),
    sa.Column("checksums", JSON, nullable=False),
)
