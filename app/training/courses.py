"""Courses as coordinators record them (web form and API, one validator), in the
caller's transaction.

A course is held on a local calendar day, at one of the training bases or out at a
place (or both: a base's trainers at a school), in one of the "五进" settings when it
went out. An awareness session is counted by its headcount; the other courses by their
headcount when one was taken, else by their list of attendees (app/training/report.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.models import Course, Organisation
from app.training import rules
from app.training.rules import MAX_HEADCOUNT, MAX_ID, N_, Collector


@dataclass(frozen=True)
class CourseRecord:
    held_on: date
    course_type: str
    training_base: str | None
    place: str | None
    outreach_setting: str | None
    trainer: str | None
    organisation_id: int | None
    headcount: int | None
    notes: str | None


FIELDS = tuple(CourseRecord.__dataclass_fields__)


def current_values(course: Course) -> dict[str, Any]:
    return {name: getattr(course, name) for name in FIELDS}


def read_course(values: Mapping[str, Any]) -> CourseRecord:
    """A record from what was typed or sent, or TrainingInvalid with every problem."""
    check = Collector()
    held_on = check.read("held_on", rules.day, values.get("held_on"))
    if held_on is None and not check.errors:
        check.add("held_on", N_("Enter the day it was held."))
    kind = check.read("course_type", rules.course_type, values.get("course_type"))
    base = check.read("training_base", rules.training_base, values.get("training_base"))
    place = check.read("place", rules.text, values.get("place"), rules.MAX_PLACE)
    if base is None and place is None and not any(
            e.field in ("training_base", "place") for e in check.errors):
        check.add("place", N_("Choose the training base or enter the place."))
    setting = check.read("outreach_setting", rules.outreach_setting,
                         values.get("outreach_setting"))
    trainer = check.read("trainer", rules.text, values.get("trainer"), rules.MAX_TRAINER)
    org = check.read("organisation_id", rules.whole, values.get("organisation_id"), 1, MAX_ID)
    headcount = check.read("headcount", rules.whole, values.get("headcount"), 1, MAX_HEADCOUNT)
    if kind == "awareness" and headcount is None and not any(
            e.field == "headcount" for e in check.errors):
        check.add("headcount", N_("An awareness session is counted by its headcount: enter "
                                  "how many came."))
    note = check.read("notes", rules.notes, values.get("notes"))
    check.check()
    assert held_on is not None and kind is not None
    return CourseRecord(held_on, kind, base, place, setting, trainer, org, headcount, note)


def save_course(session: Session, course: Course | None, record: CourseRecord) -> Course:
    """Create (``course`` None) or update; TrainingInvalid when the organisation named
    does not exist. The caller commits."""
    check = Collector()
    if record.organisation_id and session.get(Organisation, record.organisation_id) is None:
        check.add("organisation_id", N_("There is no such organisation."))
    check.check()
    if course is None:
        course = Course(held_on=record.held_on, course_type=record.course_type)
        session.add(course)
    for name in FIELDS:
        if getattr(course, name) != getattr(record, name):
            setattr(course, name, getattr(record, name))
    session.flush()
    return course
