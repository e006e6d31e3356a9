from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK


class Heartbeat(Base):
    """A gateway heartbeat: uptime, outbox depth and applied config version."""

    __tablename__ = "heartbeat"
    __table_args__ = (UniqueConstraint("gateway_id", "msg_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    msg_id: Mapped[str] = mapped_column(String(100))
    session: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[datetime]
    received_at: Mapped[datetime]
    replay: Mapped[bool] = mapped_column(Boolean, default=False)
    uptime_s: Mapped[int | None] = mapped_column(BigInteger)
    outbox_depth: Mapped[int | None] = mapped_column(Integer)
    config_version: Mapped[int | None] = mapped_column(Integer)
    evicted: Mapped[int | None] = mapped_column(Integer)
