"""/api/v1/responders: the programme's trained people, for signed-in callers only; the
phone and the certificate number for coordinators and admins only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select

from app.api.access import Access, caller
from app.api.blueprint import api
from app.api.listing import count, where_given
from app.api.map_common import local_today
from app.api.problems import conflict, not_found, unprocessable
from app.api.replies import json_reply
from app.api.schemas.problem import InvalidParam
from app.api.schemas.responders import (
    PERSONAL_FIELDS,
    NewResponder,
    Responder,
    ResponderChanges,
    ResponderPage,
    ResponderQuery,
    ResponderRef,
    ServedSite,
)
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session, get_settings
from app.models import CourseAttendance, ResponderSite, utcnow
from app.models import Responder as ResponderRow
from app.training.certificates import is_valid, valid_sql
from app.training.policy import training_policy
from app.training.refresh import TrainingContext
from app.training.responders import (
    current_values,
    erase_responder,
    read_responder,
    save_responder,
    served_sites,
)
from app.training.rules import TrainingInvalid

_WRITE_ERRORS = {403: "A read-only account, or not a coordinator",
                 422: "A field is wrong (named in invalid-params); nothing was saved"}


def _context() -> TrainingContext:
    settings = get_settings()
    return TrainingContext(training_policy(settings), settings.tz)


def _bodies(rows: Sequence[ResponderRow], today: date) -> list[Responder]:
    ids = [r.id for r in rows]
    courses: dict[int, list[int]] = defaultdict(list)
    sites: dict[int, list[ServedSite]] = defaultdict(list)
    if ids:
        dbs = db_session()
        for rid, cid in dbs.execute(select(CourseAttendance.responder_id,
                                           CourseAttendance.course_id)
                                    .where(CourseAttendance.responder_id.in_(ids))
                                    .order_by(CourseAttendance.course_id)):
            courses[rid].append(cid)
        for rid, sid, role in dbs.execute(select(ResponderSite.responder_id,
                                                 ResponderSite.site_id, ResponderSite.role)
                                          .where(ResponderSite.responder_id.in_(ids))
                                          .order_by(ResponderSite.site_id)):
            sites[rid].append(ServedSite(site_id=sid, role=role))
    return [Responder(
        id=r.id, name=r.name or None, phone=r.phone, certificate_number=r.certificate_number,
        organisation_id=r.organisation_id, team_id=r.team_id,
        certificate_issued_on=r.certificate_issued_on,
        certificate_expires_on=r.certificate_expires_on,
        certificate_valid=r.erased_at is None and is_valid(r.certificate_expires_on, today),
        erased=r.erased_at is not None, courses=courses[r.id], sites=sites[r.id],
    ) for r in rows]


def _hidden() -> frozenset[str]:
    return frozenset() if can_see_personal_data(current_user) else PERSONAL_FIELDS


def _reply(row: ResponderRow, status: int = 200) -> ResponseReturnValue:
    return json_reply(_bodies([row], local_today())[0], status, exclude=_hidden() or None)


@api.get("/responders", summary="List responders", query=ResponderQuery, reply=ResponderPage)
def list_responders(query: ResponderQuery) -> ResponseReturnValue:
    today = local_today()
    rows = select(ResponderRow).order_by(ResponderRow.id)
    rows = where_given(rows, [(ResponderRow.team_id, query.team_id),
                              (ResponderRow.organisation_id, query.organisation_id)])
    if query.site_id is not None:
        rows = rows.where(ResponderRow.id.in_(select(ResponderSite.responder_id).where(
            ResponderSite.site_id == query.site_id)))
    if query.course_id is not None:
        rows = rows.where(ResponderRow.id.in_(select(CourseAttendance.responder_id).where(
            CourseAttendance.course_id == query.course_id)))
    if query.expiring_within_days is not None:
        horizon = date.fromordinal(today.toordinal() + query.expiring_within_days)
        rows = rows.where(valid_sql(today), ResponderRow.certificate_expires_on <= horizon)
    if query.q:
        like = f"%{query.q}%"
        matches = [ResponderRow.name.ilike(like)]
        if can_see_personal_data(current_user):
            matches += [ResponderRow.phone.ilike(like),
                        ResponderRow.certificate_number.ilike(like)]
        rows = rows.where(or_(*matches))
    dbs = db_session()
    found = dbs.scalars(rows.limit(query.limit).offset(query.offset)).all()
    page = ResponderPage(items=_bodies(found, today), total=count(dbs, rows),
                         limit=query.limit, offset=query.offset)
    hidden = _hidden()
    return json_reply(page, exclude={"items": {"__all__": hidden}} if hidden else None)


def _row(responder_id: int) -> ResponderRow:
    row = db_session().get(ResponderRow, responder_id)
    if row is None:
        raise not_found("responder")
    return row


@api.get("/responders/<int:responder_id>", summary="One responder", path=ResponderRef,
         reply=Responder)
def get_responder(responder_id: int) -> ResponseReturnValue:
    return _reply(_row(responder_id))


def _invalid(exc: TrainingInvalid) -> Exception:
    db_session().rollback()
    return unprocessable([InvalidParam(name=e.field, reason=e.text) for e in exc.errors])


@api.post("/responders", summary="Record a responder", body=NewResponder, reply=Responder,
          status=201, access=Access.COORDINATOR, errors=_WRITE_ERRORS)
def create_responder(body: NewResponder) -> ResponseReturnValue:
    ctx = _context()
    dbs = db_session()
    try:
        record = read_responder(body.model_dump(), ctx.policy.certificate_valid_years)
        row = save_responder(dbs, None, record, utcnow(), ctx)
    except TrainingInvalid as exc:
        raise _invalid(exc) from None
    dbs.commit()
    return _reply(row, 201)


@api.route("patch", "/responders/<int:responder_id>", summary="Change a responder",
           path=ResponderRef, body=ResponderChanges, reply=Responder,
           access=Access.COORDINATOR, errors={**_WRITE_ERRORS, 409: "The responder is erased"})
def change_responder(responder_id: int, body: ResponderChanges) -> ResponseReturnValue:
    ctx = _context()
    dbs = db_session()
    row = _row(responder_id)
    if row.erased_at is not None:
        raise conflict("An erased responder cannot be changed.", "erased")
    sent = body.model_dump(exclude_unset=True)
    values = {**current_values(row, served_sites(dbs, row.id)), **sent}
    if "certificate_issued_on" in sent and "certificate_expires_on" not in sent:
        values["certificate_expires_on"] = None  # the usual years from the new issue day
    try:
        record = read_responder(values, ctx.policy.certificate_valid_years)
        save_responder(dbs, row, record, utcnow(), ctx)
    except TrainingInvalid as exc:
        raise _invalid(exc) from None
    dbs.commit()
    return _reply(row)


@api.post("/responders/<int:responder_id>/erase", summary="Erase a responder's personal data",
          path=ResponderRef, reply=Responder, access=Access.COORDINATOR,
          description=("The name, phone, certificate, team and stations are removed; the row "
                       "stays, so the programme's counts do not change. Erasing twice is "
                       "harmless."),
          errors={403: _WRITE_ERRORS[403]})
def erase(responder_id: int) -> ResponseReturnValue:
    row = _row(responder_id)
    dbs = db_session()
    erase_responder(dbs, row, caller().id, utcnow(), _context())
    dbs.commit()
    return _reply(row)
