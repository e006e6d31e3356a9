from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class IngestWorker(Base):
    """Liveness and counters of one ingest process, keyed by its MQTT client id.

    Ingest runs in its own processes (possibly on other hosts); it writes this row every
    few seconds so the web's /metrics and /healthz can report on it without sharing
    memory or a metrics directory with it.
    """

    __tablename__ = "ingest_worker"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    queue_depth: Mapped[int] = mapped_column(Integer, default=0)
    # Monotonic counters since the process started (Prometheus handles the reset).
    counters: Mapped[dict[str, Any]]
    # name -> {"bounds": [...], "counts": [...], "sum": float, "count": int}
    histograms: Mapped[dict[str, Any]]
