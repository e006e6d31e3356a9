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
    # Floor, as OSM's `level` ("0" ground floor, "-1" basement, "2").
    level: Mapped[str | None] = mapped_column(String(20))
    # Where exactly, as OSM's `defibrillator:location` ("东侧入口柜内"): `cabinet` is the
    # Chinese text (its name is older than the English one), `cabinet_en` the English.
    cabinet: Mapped[str | None] = mapped_column(String(200))
    cabinet_en: Mapped[str | None] = mapped_column(String(200))
    access_hours: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # The person who looks after the AED on the spot: personal data, coordinators and
    # admins only, never public.
    guardian_name: Mapped[str | None] = mapped_column(String(100))
    guardian_phone: Mapped[str | None] = mapped_column(String(40))
    # The registry's photo of the AED in place (DATA_DIR/photos, as inspection photos).
    photo_path: Mapped[str | None] = mapped_column(String(200))
    # Retired: out of service for good. The row and its history stay; it leaves maps,
    # worklists, nearest and the evaluation (app/registry/operations.py).
    retired_at: Mapped[datetime | None]
    retired_reason: Mapped[str | None] = mapped_column(String(500))
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

    # The public feed (app/feeds/changes.py keeps these): digests of the record platforms
    # get ("" once it left the feed, NULL before it was first recorded) and of its pushed
    # part (status, hours, position), when that record last changed (deltas read this
    # index), and how many changes were pushed to platforms (each push's number).
    public_digest: Mapped[str | None] = mapped_column(String(16))
    public_push_digest: Mapped[str | None] = mapped_column(String(16))
    public_updated_at: Mapped[datetime | None] = mapped_column(index=True)
    public_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
