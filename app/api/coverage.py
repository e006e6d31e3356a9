"""GET /api/v1/coverage...: coverage at a moment, the typical week, and planning (new
positions, 24/7 cabinets). Coordinators and administrators (a bearer token)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.access import Access
from app.api.blueprint import api
from app.api.problems import ApiProblem, unprocessable
from app.api.replies import json_reply
from app.api.schemas.coverage import (
    Cabinet,
    Cabinets,
    CoverageAt,
    CoverageQuery,
    CoverageWeek,
    KQuery,
    Suggestion,
    Suggestions,
    WorstHours,
    in_years,
)
from app.api.schemas.problem import InvalidParam
from app.coverage import answers
from app.coverage.context import CoverageUnavailable
from app.coverage.week import moment
from app.extensions import db_session, get_settings
from app.models import Asset, Site, utcnow

T = TypeVar("T")
_OFF = {503: "Coverage is not configured, or the week not yet computed"}


def _off(detail: str) -> ApiProblem:
    return ApiProblem(503, "Service Unavailable", detail, "coverage-unavailable")


def _answer(compute: Callable[[Session, datetime, ZoneInfo], T]) -> T:
    """``compute(session, now, tz)``; coverage not configured is a 503 saying why."""
    try:
        return compute(db_session(), utcnow(), get_settings().tz)
    except CoverageUnavailable as exc:
        raise _off(str(exc)) from None


@api.get("/coverage", summary="Coverage at a moment, with the cells as compact arrays",
         query=CoverageQuery, reply=CoverageAt, access=Access.COORDINATOR,
         errors={**_OFF, 422: "'at' is outside the years answered for (2000–2100)"},
         description="A cell is covered when an AED that is ready or needs attention, and "
         "open at that moment by its opening hours, lies within COVERAGE_REACH_M of its "
         "centre (WGS-84 geodesic). See docs/coverage.md.")
def coverage_at(query: CoverageQuery) -> ResponseReturnValue:
    if query.at is not None and not in_years(query.at):
        # A valid date-time the model has no calendar for: the field is wrong, not the
        # request (OpenAPI cannot bound a date-time, so this is a 422, documented).
        raise unprocessable([InvalidParam(name="at", reason="must be between 2000 and 2100")],
                            "'at' must be between 2000 and 2100.")
    body = _answer(lambda session, now, tz: answers.coverage_at(
        session, now, tz, moment(query.at, now, tz), query.coords))
    return json_reply(CoverageAt.model_validate(body))


@api.get("/coverage/week", summary="Coverage in each of the 168 hours of a typical week",
         reply=CoverageWeek, access=Access.COORDINATOR, errors=_OFF,
         description="As the scheduler's coverage job last computed it (every few minutes; "
         "the figures of AEDs a writer changes are kept fresh in between).")
def coverage_week() -> ResponseReturnValue:
    week = _answer(lambda session, _now, tz: answers.stored_week(session, tz))
    if week is None:
        raise _off("The scheduler's coverage job has not run yet "
                   "(flask --app app jobs run-once coverage).")
    return json_reply(CoverageWeek(
        week_starts_at=week.week_starts_at, computed_at=week.computed_at,
        hours=list(week.hours), mean=week.mean,
        worst=[WorstHours(start=s.start, end=s.end, starts_at=week.starts_at(s.start),
                          share=s.share) for s in week.worst]))


@api.get("/coverage/suggestions", summary="Where new AEDs would add the most coverage",
         query=KQuery, reply=Suggestions, access=Access.COORDINATOR, errors=_OFF,
         description="Greedy over the candidate points (COVERAGE_CANDIDATES, else every "
         "cell's centre): each step takes the one that adds the most weighted cell-hours "
         "of the typical week, a new AED being ready and open round the clock.")
def coverage_suggestions(query: KQuery) -> ResponseReturnValue:
    found, kind, before = _answer(lambda session, now, tz: answers.suggestions(
        session, now, tz, query.k))
    return json_reply(Suggestions(
        candidates=kind, week_mean_before=before,
        week_mean_after=min(1.0, before + sum(s.gain for s in found)),
        suggestions=[Suggestion(lat=s.lat, lon=s.lon, gain=s.gain) for s in found]))


@api.get("/coverage/cabinets",
         summary="Which AEDs would add the most night coverage in a 24/7 outdoor cabinet",
         query=KQuery, reply=Cabinets, access=Access.COORDINATOR, errors=_OFF,
         description="For each AED: the night hours (COVERAGE_NIGHT_FROM to _TO, local) in "
         "which it is closed now, over its cells that no other available AED reaches then.")
def coverage_cabinets(query: KQuery) -> ResponseReturnValue:
    found, night = _answer(lambda session, now, tz: answers.cabinets(
        session, now, tz, query.k))
    rows = {aid: (name, hours or "") for aid, name, hours in db_session().execute(
        select(Asset.id, Asset.name,
               func.coalesce(Asset.access_hours, Site.opening_hours)).join(Site, Site.id == Asset.site_id)
        .where(Asset.id.in_([c.aed_id for c in found])))}
    return json_reply(Cabinets(night_hours=list(night), cabinets=[
        Cabinet(asset_id=c.aed_id, name=rows[c.aed_id][0], hours=rows[c.aed_id][1],
                gain=c.gain) for c in found]))
