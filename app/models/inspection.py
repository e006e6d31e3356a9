from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Inspection(Base):
    """A volunteer's monthly check of an asset (or a site's supplies)."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    performed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ready_light_ok: Mapped[bool | None] = mapped_column(Boolean)
    pads_ok: Mapped[bool | None] = mapped_column(Boolean)
    battery_ok: Mapped[bool | None] = mapped_column(Boolean)
    cabinet_ok: Mapped[bool | None] = mapped_column(Boolean)
    alarm_ok: Mapped[bool | None] = mapped_column(Boolean)
    supplies_ok: Mapped[bool | None] = mapped_column(Boolean)
    # "pass" when every checked item is fine, otherwise "fail".
    result: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    photo_path: Mapped[str | None] = mapped_column(String(300))
