from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DeviceState(Base):
    """Latest known readings of one device.

    Readings are partial and arrive out of order, so each field remembers the
    `(session, seq)` it came from in `field_marks`; an older message never overwrites
    a newer value.
    """

    __tablename__ = "device_state"

    device_pk: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    battery_expiry: Mapped[date | None]
    pad_expiry: Mapped[date | None]
    self_test: Mapped[str | None] = mapped_column(String(10))
    temp_c: Mapped[float | None] = mapped_column(Float)
    door: Mapped[str | None] = mapped_column(String(10))
    aed_present: Mapped[bool | None] = mapped_column(Boolean)
    door_opened_at: Mapped[datetime | None]
    # When the AED was last seen leaving its cabinet (aed_present turned false).
    aed_removed_at: Mapped[datetime | None]
    last_session: Mapped[int | None] = mapped_column(BigInteger)
    last_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_ts: Mapped[datetime | None]
    field_marks: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime | None]
