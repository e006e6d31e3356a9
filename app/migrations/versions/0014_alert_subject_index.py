"""alert subject index (issue 13): the scheduler reads and resolves alerts by subject
(`subject_type`, `subject_id`) in bulk; without an index each chunk scans the table

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alert_subject", "alert", ["subject_type", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_subject", table_name="alert")
