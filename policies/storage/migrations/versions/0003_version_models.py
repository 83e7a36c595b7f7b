"""The own-model mapping stored with a policy version.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = sa.String(200)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "version_models",
        sa.Column("policy_name", NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("models_yaml", sa.Text, nullable=False),
        sa.Column("checksums", JSON, nullable=False),
        sa.PrimaryKeyConstraint("policy_name", "version", name="pk_version_models"),
    )


def downgrade() -> None:
    op.drop_table("version_models")
