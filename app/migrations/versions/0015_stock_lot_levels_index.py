"""stock lot levels index (issue 13): the shortage aggregate reads every lot's station,
item, expiry and quantity; a covering index serves it without reading the table

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_stock_lot_levels", "stock_lot",
                    ["site_id", "item_id", "expiry", "quantity"])


def downgrade() -> None:
    op.drop_index("ix_stock_lot_levels", table_name="stock_lot")
