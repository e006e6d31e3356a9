"""one evaluation of an AED: the facts it needs that were not stored

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("presence_reset_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reevaluate_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.create_index("ix_asset_reevaluate_at", ["reevaluate_at"])
    with op.batch_alter_table("gateway") as batch:
        batch.add_column(sa.Column("state_received_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("device_state") as batch:
        batch.add_column(sa.Column("aed_removed_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_state") as batch:
        batch.drop_column("aed_removed_at")
    with op.batch_alter_table("gateway") as batch:
        batch.drop_column("state_received_at")
    with op.batch_alter_table("asset") as batch:
        batch.drop_index("ix_asset_reevaluate_at")
        batch.drop_column("reevaluate_at")
        batch.drop_column("presence_reset_at")
