from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CoverageAed(Base):
    """What coverage one AED carries (app/coverage): kept by the writer's hook for the AEDs
    a change touches and by the scheduler's coverage job for all of them."""

    __tablename__ = "coverage_aed"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True)
    #: Share of the area-week (weighted cells × 168 hours) covered by this AED alone:
    #: lost while it is unavailable.
    criticality: Mapped[float] = mapped_column(Float)
    #: Share of the area's night hours it would add in a 24/7 outdoor cabinet.
    night_gain: Mapped[float] = mapped_column(Float)
    # What the figures were computed from: a change to any of these is a change to
    # coverage (position, opening hours, readiness ready/attention or not).
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    hours: Mapped[str] = mapped_column(String(200))
    ready: Mapped[bool] = mapped_column(Boolean)
    week_starts_at: Mapped[datetime]
    computed_at: Mapped[datetime]
