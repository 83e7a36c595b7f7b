"""Registered traffic sets and stored simulation runs.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String(200)
STAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "traffic_sets",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_traffic_sets"),
        sa.UniqueConstraint("name", name="uq_traffic_sets_name"),
    )
    op.create_table(
        "simulation_runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("policy_name", NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("traffic_set_id", sa.Integer, nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("decisions", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_simulation_runs"),
        sa.ForeignKeyConstraint(["traffic_set_id"], ["traffic_sets.id"],
                                name="fk_simulation_runs_traffic_set_id_traffic_sets"),
    )
    op.create_index("ix_simulation_runs_policy_name", "simulation_runs", ["policy_name"])


def downgrade() -> None:
    op.drop_index("ix_simulation_runs_policy_name", table_name="simulation_runs")
    op.drop_table("simulation_runs")
    op.drop_table("traffic_sets")
