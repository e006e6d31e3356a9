from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class JobRun(Base):
    """History of scheduler job runs: which process ran which period, and the outcome."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_period", "job_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    runner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    summary: Mapped[dict[str, Any] | None]
