"""ingest schema changes: per-worker liveness and counters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.create_table(
        "ingest_worker",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("queue_depth", sa.Integer(), nullable=False),
        sa.Column("counters", json_type, nullable=False),
        sa.Column("histograms", json_type, nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_ingest_worker")),
    )
    with op.batch_alter_table("ingest_worker", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingest_worker_heartbeat_at"), ["heartbeat_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_worker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_worker_heartbeat_at"))
    op.drop_table("ingest_worker")
