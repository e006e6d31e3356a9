"""import refs (issue 16): links from AEDs to their records in other registries (OSM
`ref:*` tags, the OSM element), so a repeated import finds the AED it made

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_source_ref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_asset_source_ref_asset_id_asset"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_source_ref")),
        sa.UniqueConstraint("key", "value", name="uq_asset_source_ref_key_value"),
    )
    op.create_index(op.f("ix_asset_source_ref_asset_id"), "asset_source_ref", ["asset_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_source_ref_asset_id"), table_name="asset_source_ref")
    op.drop_table("asset_source_ref")
