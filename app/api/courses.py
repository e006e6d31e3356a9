"""/api/v1/courses: the training programme's courses, for signed-in callers."""

from __future__ import annotations

from datetime import date

from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from app.api.access import Access
from app.api.blueprint import api
from app.api.listing import page_of, where_given
from app.api.problems import not_found, unprocessable
from app.api.replies import json_reply
from app.api.schemas.courses import Course, CoursePage, CourseQuery, CourseRef, NewCourse
from app.api.schemas.problem import InvalidParam
from app.extensions import db_session
from app.models import Course as CourseRow
from app.models import CourseAttendance
from app.training.courses import read_course, save_course
from app.training.rules import TrainingInvalid

_LISTED = (select(CourseAttendance.course_id, func.count().label("n"))
           .group_by(CourseAttendance.course_id).subquery())
_WITH_ATTENDEES = select(CourseRow, _LISTED.c.n).outerjoin(
    _LISTED, _LISTED.c.course_id == CourseRow.id)


def course_body(course: CourseRow, attendees: int | None) -> Course:
    return Course(
        id=course.id, held_on=course.held_on, course_type=course.course_type,
        training_base=course.training_base, place=course.place,
        outreach_setting=course.outreach_setting, trainer=course.trainer,
        organisation_id=course.organisation_id, headcount=course.headcount,
        attendees=attendees or 0, notes=course.notes,
    )


@api.get("/courses", summary="List courses", query=CourseQuery, reply=CoursePage)
def list_courses(query: CourseQuery) -> ResponseReturnValue:
    rows = (_WITH_ATTENDEES.order_by(CourseRow.held_on.desc(), CourseRow.id.desc()))
    rows = where_given(rows, [(CourseRow.course_type, query.course_type),
                              (CourseRow.organisation_id, query.organisation_id)])
    if query.year is not None:
        rows = rows.where(CourseRow.held_on >= date(query.year, 1, 1),
                          CourseRow.held_on < date(query.year + 1, 1, 1))
    return json_reply(page_of(CoursePage, db_session(), rows, query, course_body))


def _one(course_id: int) -> tuple[CourseRow, int | None]:
    found = db_session().execute(_WITH_ATTENDEES.where(CourseRow.id == course_id)).first()
    if found is None:
        raise not_found("course")
    return found[0], found[1]


@api.get("/courses/<int:course_id>", summary="One course", path=CourseRef, reply=Course)
def get_course(course_id: int) -> ResponseReturnValue:
    return json_reply(course_body(*_one(course_id)))


@api.post("/courses", summary="Record a course", body=NewCourse, reply=Course, status=201,
          access=Access.COORDINATOR,
          errors={403: "A read-only account, or not a coordinator",
                  422: "A field is wrong (named in invalid-params); nothing was saved"})
def create_course(body: NewCourse) -> ResponseReturnValue:
    dbs = db_session()
    try:
        course = save_course(dbs, None, read_course(body.model_dump()))
    except TrainingInvalid as exc:
        dbs.rollback()
        raise unprocessable([InvalidParam(name=e.field, reason=e.text)
                             for e in exc.errors]) from None
    dbs.commit()
    return json_reply(course_body(course, 0), 201)
