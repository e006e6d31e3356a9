from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .gateway import Gateway


class Device(Base):
    """A sensor unit behind a gateway (an AED cabinet monitor, a kit sensor)."""

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("gateway_id", "device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateway.id", ondelete="CASCADE"))
    # The `{dev}` in MQTT topics, unique per gateway.
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40), default="aed_cabinet")
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    gateway: Mapped[Gateway] = relationship()
