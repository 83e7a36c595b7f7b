"""Policies, their numbered versions and autosaved drafts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = sa.String(200)
STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_policies"),
        sa.UniqueConstraint("name", name="uq_policies_name"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("policy_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("author", NAME, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("spec_yaml", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("parent_version_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_policy_versions"),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], ondelete="CASCADE",
                                name="fk_policy_versions_policy_id_policies"),
        sa.ForeignKeyConstraint(["parent_version_id"], ["policy_versions.id"],
                                name="fk_policy_versions_parent_version_id_policy_versions"),
        sa.UniqueConstraint("policy_id", "version", name="uq_policy_versions_policy_id_version"),
        sa.CheckConstraint("version >= 1", name="ck_policy_versions_version_positive"),
    )
    op.create_table(
        "drafts",
        sa.Column("owner", NAME, nullable=False),
        sa.Column("policy_name", NAME, nullable=False),
        sa.Column("spec_yaml", sa.Text, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("owner", "policy_name", name="pk_drafts"),
    )


def downgrade() -> None:
    op.drop_table("drafts")
    op.drop_table("policy_versions")
    op.drop_table("policies")
