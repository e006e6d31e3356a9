from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

#: How a responder serves a station: its AED guardian, staff of a party-service
#: station, or a member of the team that looks after it.
SERVICE_ROLES = ("guardian", "station_staff", "team_member")


class ResponderSite(Base):
    """A station (or AED site) a responder serves; the station's cover counts them."""

    __tablename__ = "responder_site"
    __table_args__ = (UniqueConstraint("responder_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responder.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
