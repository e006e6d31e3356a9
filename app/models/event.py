from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK


class DeviceEvent(Base):
    """A device event (door opened, AED removed...) with its own device timestamp."""

    __tablename__ = "device_event"
    __table_args__ = (
        UniqueConstraint("gateway_id", "msg_id"),
        Index("ix_device_event_device_ts", "gateway_id", "device_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(100))
    session: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None]
    ts: Mapped[datetime]
    received_at: Mapped[datetime]
    replay: Mapped[bool] = mapped_column(Boolean, default=False)
    ts_suspect: Mapped[bool] = mapped_column(Boolean, default=False)
