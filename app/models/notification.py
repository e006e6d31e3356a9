from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

CHANNEL_KINDS = ("email", "webhook", "platform")
DELIVERY_STATUSES = ("pending", "deferred", "retrying", "sent", "failed", "cancelled")


class NotificationChannel(Base):
    """Where notifications go: an SMTP mailbox list or a webhook (WeCom/DingTalk robot).

    `config` holds the transport settings (email: host, port, sender, to, starttls,
    username, password_env; webhook: url, format, timeout_s; platform, a feed's signed
    push to a platform: url, feed, secret_env or secret). Secrets are referenced by
    environment variable name, never stored here, but for a platform's ``secret`` that
    its configuration file names itself (app/feeds/platforms.py).
    """

    __tablename__ = "notification_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Local "HH:MM" window in which non-urgent messages wait; empty = no quiet hours.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    routes: Mapped[list[NotificationRoute]] = relationship(
        back_populates="channel", cascade="all, delete-orphan"
    )


class NotificationRoute(Base):
    """Which alerts reach a channel: by team, site, minimum severity and kinds.

    Empty filters match everything. `escalation_level` > 0 makes it an escalation
    route: it only receives alerts that have escalated that far.
    """

    __tablename__ = "notification_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channel.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    min_severity: Mapped[str] = mapped_column(String(20), default="info")
    kinds: Mapped[str | None] = mapped_column(String(500))  # comma-separated; NULL = all
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)

    channel: Mapped[NotificationChannel] = relationship(back_populates="routes")


class NotificationLog(Base):
    """One message to one channel, with its delivery status; doubles as the outbox.

    `dedupe_key` makes every (alert event, channel) pair a single row, so a job that
    runs twice never sends twice.
    """

    __tablename__ = "notification_log"
    __table_args__ = (Index("ix_notification_log_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The row this one goes after (its dedupe key): it is not sent while that one still
    # waits to be, so a platform gets one AED's changes in order (app/feeds/pushes.py).
    after_key: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channel.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(20))  # opened/reminder/assigned/resolved/digest
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
