"""coverage: the typical week's profile and what each AED carries (issue 17)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coverage_week",
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column("computed_at", UTC_DATETIME, nullable=False),
        sa.Column("week_starts_at", UTC_DATETIME, nullable=False),
        sa.Column("cell_m", sa.Float(), nullable=False),
        sa.Column("reach_m", sa.Float(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("aeds", sa.Integer(), nullable=False),
        sa.Column("figures", app.models.base.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("area", name=op.f("pk_coverage_week")),
    )
    op.create_table(
        "coverage_aed",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False)
          for name in ("criticality", "night_gain", "lat", "lon")),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("week_starts_at", UTC_DATETIME, nullable=False),
        sa.Column("computed_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE",
                                name=op.f("fk_coverage_aed_asset_id_asset")),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_coverage_aed")),
    )


def downgrade() -> None:
    op.drop_table("coverage_aed")
    op.drop_table("coverage_week")
