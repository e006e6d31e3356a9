from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .organisation import Organisation

#: certificate: the 持证培训 that gives the Red Cross first-aider certificate (救护员证);
#: awareness: a 普及培训 session counted by headcount; aed_use: AED-use training.
COURSE_TYPES = ("certificate", "awareness", "aed_use")
#: The "五进" settings a course goes out into.
OUTREACH_SETTINGS = ("community", "company", "school", "hospital", "government")
#: The district's two training bases (区中心医院, 控江医院).
TRAINING_BASES = ("central_hospital", "kongjiang_hospital")


class Course(Base):
    """One training course or session of the district's first-aid programme."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The local calendar day it was held (Asia/Shanghai).
    held_on: Mapped[date] = mapped_column(index=True)
    course_type: Mapped[str] = mapped_column(String(20))
    # At a training base, or out at a place (a community centre, a company...).
    training_base: Mapped[str | None] = mapped_column(String(40))
    place: Mapped[str | None] = mapped_column(String(200))
    outreach_setting: Mapped[str | None] = mapped_column(String(20))
    trainer: Mapped[str | None] = mapped_column(String(100))
    # The branch (or the district) that ran it: the report counts by it.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # People present; awareness sessions have only this, no list of names.
    headcount: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
