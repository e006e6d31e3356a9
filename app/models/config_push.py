from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class PendingConfigPush(Base):
    """A desired gateway config not yet confirmed published to the broker.

    Written in the same transaction that bumps the desired config, deleted after the
    broker's PUBACK, so a broker outage or a crash between commit and publish never
    loses a config: a retry publishes whatever is still listed here.
    """

    __tablename__ = "pending_config_push"

    gateway_id: Mapped[str] = mapped_column(
        ForeignKey("gateway.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
