from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Alert(Base):
    """An alert about an asset, site or gateway; one unresolved alert per dedupe key."""

    __tablename__ = "alert"
    __table_args__ = (
        # One open (or acknowledged) alert per (subject, kind): the key is
        # "{subject_type}:{subject_id}:{kind}".
        Index(
            "uq_alert_active_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alert_status_opened", "status", "opened_at"),
        # The scheduler reads and resolves each family's alerts by subject, in bulk.
        Index("ix_alert_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    gateway_id: Mapped[str | None] = mapped_column(
        ForeignKey("gateway.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Sensor-driven alerts clear themselves; use incidents need a person.
    auto_resolve: Mapped[bool] = mapped_column(default=True)
    message: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str | None] = mapped_column(String(200))
    assigned_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    notify_count: Mapped[int] = mapped_column(Integer, default=0)
    last_notified_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # Expiry alerts escalate through lead-time stages (90 -> 30 -> 7 days); each stage
    # is notified once. NULL for kinds without stages.
    stage: Mapped[int | None] = mapped_column(Integer)

    comments: Mapped[list[AlertComment]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertComment.created_at"
    )


class AlertComment(Base):
    __tablename__ = "alert_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="comments")
