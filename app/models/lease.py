from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Lease(Base):
    """A named lease (e.g. the scheduler leader) for databases without advisory locks."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class JobWatermark(Base):
    """Last completed period of an idempotent job, so a period never runs twice."""

    __tablename__ = "job_watermark"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime]
