from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, utcnow


class QuarantinedMessage(Base):
    """A well-formed message from an unregistered gateway or device, kept for admins."""

    __tablename__ = "quarantined_message"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    topic: Mapped[str] = mapped_column(String(500))
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    msg_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    count: Mapped[int] = mapped_column(Integer, default=1)
