from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, utcnow


class DeadLetter(Base):
    """A message that failed validation, kept with the reason so nothing vanishes."""

    __tablename__ = "dead_letter"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    topic: Mapped[str] = mapped_column(String(500))
    gateway_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # Machine-readable reason code (e.g. "bad_json", "oversize") and a readable text.
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(Integer)
    # Oversize payloads are kept truncated; `size` tells the original length.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
