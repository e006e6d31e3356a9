from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class LoginThrottle(Base):
    """Login attempts per key ("acct:NAME|ip:ADDR" or "ip:ADDR"), shared by every worker.

    Kept in the database rather than in process memory so that N gunicorn workers (or
    N machines) enforce one backoff together. ``attempts`` counts attempts not yet
    forgiven (a success forgives its own); ``next_attempt_at`` is when the next one may
    be made.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
