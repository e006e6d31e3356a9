from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class RestockTask(Base):
    """Top up one site's supplies; generated from par levels, assigned to the site's team."""

    __tablename__ = "restock_task"
    __table_args__ = (
        # One open task per site: the restock job refreshes its lines in place.
        Index(
            "uq_restock_task_open_site", "site_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open / done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[RestockTaskLine]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="RestockTaskLine.item_id"
    )


class RestockTaskLine(Base):
    """How much of one item the site is short (expiring lots counted as missing)."""

    __tablename__ = "restock_task_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("restock_task.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"))
    usable: Mapped[int] = mapped_column(Integer)
    expiring: Mapped[int] = mapped_column(Integer)
    needed: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[int | None] = mapped_column(Integer)

    task: Mapped[RestockTask] = relationship(back_populates="lines")
