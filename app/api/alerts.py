from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.alerts import lifecycle
from app.alerts.catalogue import INCIDENT_KINDS
from app.alerts.subjects import AlertWords, describe
from app.api.access import Access, caller
from app.api.blueprint import api
from app.api.listing import count, where_given
from app.api.problems import conflict, forbidden, unprocessable
from app.api.registry_writes import found
from app.api.replies import json_reply
from app.api.schemas.alerts import (
    RESOLUTION_LENGTH,
    Alert,
    AlertComment,
    AlertPage,
    AlertQuery,
    AlertRef,
    Assignment,
    NewComment,
    Resolution,
)
from app.api.schemas.problem import InvalidParam
from app.auth.permissions import can_act_on_alert
from app.extensions import db_session, get_settings, wake_notifier
from app.i18n import current_locale_code
from app.models import Alert as AlertRow
from app.models import utcnow

_ACTION_ERRORS = {
    403: "Another team's alert, or a read-only account",
    409: "Not possible in the alert's current state",
}


def alert_bodies(alerts: list[AlertRow]) -> list[Alert]:
    """The alerts' bodies, worded in the caller's language (Accept-Language, or the
    language chosen on the site) from their kind and structured detail."""
    words = describe(db_session(), alerts, current_locale_code(), get_settings().tz)
    return [_body(a, words[a.id]) for a in alerts]


def alert_body(alert: AlertRow) -> Alert:
    return alert_bodies([alert])[0]


def _body(alert: AlertRow, words: AlertWords) -> Alert:
    return Alert(
        id=alert.id, kind=alert.kind, severity=alert.severity, status=alert.status,
        subject_type=alert.subject_type, subject_id=alert.subject_id,
        asset_id=alert.asset_id, site_id=alert.site_id, gateway_id=alert.gateway_id,
        title=words.title, message=words.text, where=words.where, stage=alert.stage,
        detail=alert.detail or {}, opened_at=alert.opened_at,
        acknowledged_at=alert.acknowledged_at, acknowledged_by=alert.acknowledged_by_id,
        resolved_at=alert.resolved_at, resolved_by=alert.resolved_by_id,
        resolution=alert.resolution,
        comments=[AlertComment(user_id=c.user_id, body=c.body, created_at=c.created_at)
                  for c in alert.comments],
    )


@api.get("/alerts", summary="List alerts, newest first", query=AlertQuery, reply=AlertPage)
def list_alerts(query: AlertQuery) -> ResponseReturnValue:
    rows = select(AlertRow).order_by(AlertRow.opened_at.desc(), AlertRow.id.desc())
    rows = where_given(rows, [
        (AlertRow.status, query.status), (AlertRow.severity, query.severity),
        (AlertRow.kind, query.kind), (AlertRow.asset_id, query.asset_id),
        (AlertRow.site_id, query.site_id)])
    session = db_session()
    found = list(session.scalars(rows.limit(query.limit).offset(query.offset)))
    return json_reply(AlertPage(items=alert_bodies(found), total=count(session, rows),
                                limit=query.limit, offset=query.offset))


def _alert(alert_id: int) -> AlertRow:
    return found(db_session().get(AlertRow, alert_id), "alert")


@api.get("/alerts/<int:alert_id>", summary="One alert", path=AlertRef, reply=Alert)
def get_alert(alert_id: int) -> ResponseReturnValue:
    return json_reply(alert_body(_alert(alert_id)))


def _act_on(alert_id: int) -> AlertRow:
    """The alert, if the caller may act on it."""
    alert = _alert(alert_id)
    if not can_act_on_alert(caller(), alert, lifecycle.site_of_alert(db_session(), alert)):
        raise forbidden("This alert belongs to another team's site.")
    return alert


def _done(alert: AlertRow, status: int = 200) -> ResponseReturnValue:
    db_session().commit()
    return json_reply(alert_body(alert), status)


@contextmanager
def _state_change() -> Iterator[None]:
    try:
        yield
    except lifecycle.AlertError as exc:
        db_session().rollback()
        raise conflict(str(exc), "alert-state") from None


@api.post("/alerts/<int:alert_id>/acknowledge", summary="Acknowledge an open alert",
          path=AlertRef, reply=Alert, access=Access.WRITER, errors=_ACTION_ERRORS)
def acknowledge_alert(alert_id: int) -> ResponseReturnValue:
    alert = _act_on(alert_id)
    with _state_change():
        lifecycle.acknowledge(db_session(), alert, caller().id, utcnow())
    return _done(alert)


@api.post("/alerts/<int:alert_id>/resolve", summary="Resolve an alert (not use incidents)",
          path=AlertRef, body=Resolution, reply=Alert, access=Access.WRITER,
          errors=_ACTION_ERRORS, description="Use incidents (aed_in_use, cabinet_opened) "
          "answer 409: close them with the incident checklist so the AED is restored.")
def resolve_alert(alert_id: int, body: Resolution) -> ResponseReturnValue:
    alert = _act_on(alert_id)
    if alert.kind in INCIDENT_KINDS:
        raise conflict("Close use incidents with the incident checklist so the AED is "
                       "restored.", "use-incident")
    with _state_change():
        lifecycle.resolve(db_session(), alert, caller().id, utcnow(),
                          body.resolution.strip()[:RESOLUTION_LENGTH])
    return _done(alert)


@api.post("/alerts/<int:alert_id>/assign", summary="Give an alert to a team",
          path=AlertRef, body=Assignment, reply=Alert, access=Access.COORDINATOR,
          errors={**_ACTION_ERRORS, 422: "No such team or user"},
          description="Its notifications go to that team's routes from now on (null: "
          "back to the site's team), and a team that takes it over is told at once.")
def assign_alert(alert_id: int, body: Assignment) -> ResponseReturnValue:
    alert = _alert(alert_id)
    try:
        handed_over = lifecycle.assign(db_session(), alert, body.team_id, body.user_id)
    except lifecycle.AssignError as exc:
        db_session().rollback()
        if exc.code == "resolved":
            raise conflict(str(exc), "alert-state") from None
        field = "team_id" if exc.code == "unknown_team" else "user_id"
        raise unprocessable([InvalidParam(name=field, reason=str(exc))]) from None
    response = _done(alert)
    if handed_over:
        wake_notifier()
    return response


@api.post("/alerts/<int:alert_id>/comments", summary="Comment on an alert", path=AlertRef,
          body=NewComment, reply=Alert, status=201, access=Access.WRITER,
          errors=_ACTION_ERRORS)
def comment_on_alert(alert_id: int, body: NewComment) -> ResponseReturnValue:
    alert = _act_on(alert_id)
    with _state_change():
        lifecycle.comment(db_session(), alert, caller().id, body.body, utcnow())
    return _done(alert, 201)
