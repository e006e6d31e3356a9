"""public feed and platform webhooks (issue 16): each AED's public record digest, when it
last changed and its push number; outbox rows that go after another

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("public_digest", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("public_push_digest", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("public_updated_at",
                                   app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("public_seq", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_index("ix_asset_public_updated_at", ["public_updated_at"])
    with op.batch_alter_table("notification_log") as batch:
        batch.add_column(sa.Column("after_key", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_log") as batch:
        batch.drop_column("after_key")
    with op.batch_alter_table("asset") as batch:
        batch.drop_index("ix_asset_public_updated_at")
        for name in ("public_seq", "public_updated_at", "public_push_digest", "public_digest"):
            batch.drop_column(name)
