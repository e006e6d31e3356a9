"""Courses of the first-aid training programme."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas.common import Page, PageQuery, id_ref
from app.api.schemas.fields import DbId, JsonDate, JsonId, OneOf
from app.models import COURSE_TYPES, OUTREACH_SETTINGS, TRAINING_BASES
from app.training.rules import MAX_HEADCOUNT, MAX_NOTES, MAX_PLACE, MAX_TRAINER

CourseType = Annotated[str, OneOf(COURSE_TYPES)]
Setting = Annotated[str, OneOf(OUTREACH_SETTINGS)]
Base = Annotated[str, OneOf(TRAINING_BASES)]


class CourseQuery(PageQuery):
    year: int | None = Field(None, ge=1990, le=2100, description="Held in this local year.")
    course_type: CourseType | None = None
    organisation_id: DbId | None = Field(None, description="Run by this organisation.")


CourseRef = id_ref("course")


class Course(BaseModel):
    id: int
    held_on: JsonDate
    course_type: CourseType = Field(description=(
        "certificate (持证培训), awareness (普及培训) or aed_use (AED-use training)."))
    training_base: Base | None
    place: str | None
    outreach_setting: Setting | None = Field(description="The \"五进\" setting it went into.")
    trainer: str | None
    organisation_id: int | None
    headcount: int | None
    attendees: int = Field(description="People on its attendee list.")
    notes: str | None


class CoursePage(Page[Course]):
    pass


class NewCourse(BaseModel):
    """The training base or the place is needed; an awareness session needs its
    headcount."""

    held_on: JsonDate
    course_type: CourseType
    training_base: Base | None = None
    place: str | None = Field(None, max_length=MAX_PLACE)
    outreach_setting: Setting | None = None
    trainer: str | None = Field(None, max_length=MAX_TRAINER)
    organisation_id: JsonId | None = None
    headcount: JsonId | None = Field(None, description=f"1 to {MAX_HEADCOUNT}.")
    notes: str | None = Field(None, max_length=MAX_NOTES)
