from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .organisation import Organisation
from .team import Team


class Responder(Base):
    """A trained first-aider, who need not have an account. The phone and the
    certificate number are personal data (app/auth/permissions.can_see_personal_data);
    erasing a responder blanks them and the name, and keeps the row for the counts."""

    __tablename__ = "responder"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Digits as written for dialling ("13800138000", "+8613800138000"): people are
    # matched by it, so it is stored in one form and unique.
    phone: Mapped[str | None] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    certificate_issued_on: Mapped[date | None]
    # Local calendar day; valid while it lies ahead (app/training/certificates.py).
    certificate_expires_on: Mapped[date | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()
    team: Mapped[Team | None] = relationship()
