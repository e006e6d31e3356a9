from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CoverageWeek(Base):
    """The coverage of each hour of the typical week, as the scheduler's coverage job last
    computed it (app/coverage/jobs.py): one row per area, read by every web worker."""

    __tablename__ = "coverage_week"

    #: The area file's name (one row per configured area).
    area: Mapped[str] = mapped_column(String(200), primary_key=True)
    computed_at: Mapped[datetime]
    #: Monday 00:00 local of the week the hours were judged on.
    week_starts_at: Mapped[datetime]
    cell_m: Mapped[float] = mapped_column(Float)
    reach_m: Mapped[float] = mapped_column(Float)
    cells: Mapped[int] = mapped_column(Integer)
    aeds: Mapped[int] = mapped_column(Integer)
    #: {"hours": [168 shares from Monday 00:00 local]}.
    figures: Mapped[dict[str, Any]]
