from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .site import Site


class Gateway(Base):
    """A station gateway; its id is the `{gw}` in MQTT topics."""

    __tablename__ = "gateway"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # Broker credential hash; the password itself is shown once at provisioning.
    password_hash: Mapped[str | None] = mapped_column(String(300))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    report_interval_s: Mapped[int] = mapped_column(Integer, default=300)
    # online / offline / stopped / unknown, from the retained state topic
    state: Mapped[str] = mapped_column(String(20), default="unknown")
    state_session: Mapped[int | None] = mapped_column(BigInteger)
    state_ts: Mapped[datetime | None]
    # When the current state message arrived (a will's own ts is its connect time).
    state_received_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None] = mapped_column(index=True)
    agent_version: Mapped[str | None] = mapped_column(String(40))
    outbox_depth: Mapped[int | None] = mapped_column(Integer)
    reported_config_version: Mapped[int | None] = mapped_column(Integer)
    desired_config_version: Mapped[int] = mapped_column(Integer, default=0)
    desired_config: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site | None] = relationship()
