from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class LoginThrottle(Base):
    """Failed login counter per key ("user:NAME" or "ip:ADDR"), shared by every worker.

    Kept in the database rather than in process memory so that N gunicorn workers (or
    N machines) enforce one limit together.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
