from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .device import Device
from .site import Site

ASSET_KINDS = ("aed", "first_aid_kit")
READINESS_STATUSES = ("ready", "attention", "not_ready", "in_use", "unknown")


class Asset(Base):
    """An AED or a first-aid kit at a site, optionally bound to a monitored device."""

    __tablename__ = "asset"
    __table_args__ = (
        Index("ix_asset_lat_lon", "lat", "lon"),
        Index("ix_asset_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # Copied from the site unless the AED hangs elsewhere; indexed for nearest search.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))
    install_date: Mapped[date | None]
    pad_expiry: Mapped[date | None]
    battery_expiry: Mapped[date | None]
    paediatric_pads: Mapped[bool] = mapped_column(Boolean, default=False)
    paediatric_pad_expiry: Mapped[date | None]
    indoor: Mapped[bool] = mapped_column(Boolean, default=False)
    cabinet: Mapped[str | None] = mapped_column(String(200))
    access_hours: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    device_pk: Mapped[int | None] = mapped_column(
        ForeignKey("device.id", ondelete="SET NULL"), unique=True
    )
    inspection_interval_days: Mapped[int | None] = mapped_column(Integer)
    last_inspection_at: Mapped[datetime | None]
    # Maintenance mode: door/presence alerts muted until this time.
    maintenance_until: Mapped[datetime | None]
    # A use incident stays open until a person restores the AED.
    in_use_since: Mapped[datetime | None]
    # Door and presence facts up to here belong to a story already told (an incident a
    # person closed, a maintenance visit that ended): they raise nothing more.
    presence_reset_at: Mapped[datetime | None]
    # When the evaluation's answer changes next with these facts (a silence window, a
    # check falling due, an expiry stage): the scheduler looks again then.
    reevaluate_at: Mapped[datetime | None] = mapped_column(index=True)
    # Cached readiness, recomputed by the one readiness service on every change.
    status: Mapped[str] = mapped_column(String(20), default="unknown")
    status_reasons: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    site: Mapped[Site] = relationship()
    device: Mapped[Device | None] = relationship()
