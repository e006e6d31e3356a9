from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .organisation import Organisation
from .team import Team

SITE_KINDS = (
    "riverside_point",
    "party_service_station",
    "first_aid_station",
    "community_centre",
    "school",
    "scenic_area",
    "hospital",
    "transport",
    "office",
    "other",
)


class Site(Base):
    """A place that holds assets: a riverside point, a party service station, a school..."""

    __tablename__ = "site"
    __table_args__ = (Index("ix_site_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    # WGS-84; conversion to GCJ-02 happens only in the map layer.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    # Demo positions are invented; the flag keeps them out of any export to a city platform.
    is_fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Retired: closed for good; the row and its history stay (app/registry/operations.py).
    retired_at: Mapped[datetime | None]
    retired_reason: Mapped[str | None] = mapped_column(String(500))

    # Responders with a valid certificate it needs; NULL: the default for its kind
    # (app/training/policy.py).
    min_responders: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation | None] = relationship()
    team: Mapped[Team | None] = relationship()
