"""training programme: courses, responders, their attendances and stations; a site's
minimum of responders (issue 15)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("course_type", sa.String(length=20), nullable=False),
        sa.Column("training_base", sa.String(length=40), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("outreach_setting", sa.String(length=20), nullable=True),
        sa.Column("trainer", sa.String(length=100), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_course_organisation_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    with op.batch_alter_table("course") as batch:
        batch.create_index(batch.f("ix_course_held_on"), ["held_on"], unique=False)
        batch.create_index(batch.f("ix_course_organisation_id"), ["organisation_id"],
                           unique=False)

    op.create_table(
        "responder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("certificate_number", sa.String(length=50), nullable=True),
        sa.Column("certificate_issued_on", sa.Date(), nullable=True),
        sa.Column("certificate_expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("erased_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_responder_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_responder_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responder")),
        sa.UniqueConstraint("certificate_number", name=op.f("uq_responder_certificate_number")),
        sa.UniqueConstraint("phone", name=op.f("uq_responder_phone")),
    )
    with op.batch_alter_table("responder") as batch:
        batch.create_index(batch.f("ix_responder_certificate_expires_on"),
                           ["certificate_expires_on"], unique=False)
        batch.create_index(batch.f("ix_responder_organisation_id"), ["organisation_id"],
                           unique=False)
        batch.create_index(batch.f("ix_responder_team_id"), ["team_id"], unique=False)

    op.create_table(
        "course_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"],
                                name=op.f("fk_course_attendance_course_id_course"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["responder_id"], ["responder.id"],
                                name=op.f("fk_course_attendance_responder_id_responder"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_attendance")),
        sa.UniqueConstraint("course_id", "responder_id",
                            name=op.f("uq_course_attendance_course_id_responder_id")),
    )
    with op.batch_alter_table("course_attendance") as batch:
        batch.create_index(batch.f("ix_course_attendance_responder_id"), ["responder_id"],
                           unique=False)

    op.create_table(
        "responder_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["responder_id"], ["responder.id"],
                                name=op.f("fk_responder_site_responder_id_responder"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_responder_site_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responder_site")),
        sa.UniqueConstraint("responder_id", "site_id",
                            name=op.f("uq_responder_site_responder_id_site_id")),
    )
    with op.batch_alter_table("responder_site") as batch:
        batch.create_index(batch.f("ix_responder_site_site_id"), ["site_id"], unique=False)

    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("min_responders", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.drop_column("min_responders")
    with op.batch_alter_table("responder_site") as batch:
        batch.drop_index(batch.f("ix_responder_site_site_id"))
    op.drop_table("responder_site")
    with op.batch_alter_table("course_attendance") as batch:
        batch.drop_index(batch.f("ix_course_attendance_responder_id"))
    op.drop_table("course_attendance")
    with op.batch_alter_table("responder") as batch:
        batch.drop_index(batch.f("ix_responder_team_id"))
        batch.drop_index(batch.f("ix_responder_organisation_id"))
        batch.drop_index(batch.f("ix_responder_certificate_expires_on"))
    op.drop_table("responder")
    with op.batch_alter_table("course") as batch:
        batch.drop_index(batch.f("ix_course_organisation_id"))
        batch.drop_index(batch.f("ix_course_held_on"))
    op.drop_table("course")
