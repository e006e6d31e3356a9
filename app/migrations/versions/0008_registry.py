"""registry editing (issue 15): an AED's floor, English location text, guardian, photo
and retirement; a site's retirement

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("level", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("cabinet_en", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("guardian_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("guardian_phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("photo_path", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("retired_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retired_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("retired_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retired_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.drop_column("retired_reason")
        batch.drop_column("retired_at")
    with op.batch_alter_table("asset") as batch:
        batch.drop_column("retired_reason")
        batch.drop_column("retired_at")
        batch.drop_column("photo_path")
        batch.drop_column("guardian_phone")
        batch.drop_column("guardian_name")
        batch.drop_column("cabinet_en")
        batch.drop_column("level")
