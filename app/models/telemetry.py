from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK


class Telemetry(Base):
    """One stored telemetry message; `(gateway_id, msg_id)` makes redelivery harmless."""

    __tablename__ = "telemetry"
    __table_args__ = (
        UniqueConstraint("gateway_id", "msg_id"),
        Index("ix_telemetry_device_ts", "gateway_id", "device_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(100))
    session: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[datetime]
    received_at: Mapped[datetime]
    replay: Mapped[bool] = mapped_column(Boolean, default=False)
    # Device clock ahead of server time by more than the allowed skew.
    ts_suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    readings: Mapped[dict[str, Any]]
