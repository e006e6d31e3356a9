from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CourseAttendance(Base):
    """A responder on a course's list. Kept when the responder is erased: the
    programme's counts are of attendances, not of names."""

    __tablename__ = "course_attendance"
    __table_args__ = (UniqueConstraint("course_id", "responder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    responder_id: Mapped[int] = mapped_column(
        ForeignKey("responder.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
