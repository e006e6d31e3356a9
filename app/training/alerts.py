"""A responder's certificate alerts, set-based (every responder, or a few at once).

A responder someone relies on (one with a team, or serving a station) wants:
- ``certificate_expiring`` from the longest reminder lead time before the expiry
  (90 → 30 days by default, app/training/policy.py), staged so that each closer stage
  is news, notified once (app/alerts/apply.py);
- ``certificate_expired`` once it has expired (app/training/certificates.py), which
  takes the place of the expiring one.
A renewal (a later expiry), leaving the team and every station, or erasure drops the
responder out of the wanted set and the alert resolves. Alerts carry ``detail`` =
{"expiry": ISO date} and no sentence.

The alert has no site: it is told to the responder's team (its assigned team, set when
it opens; a responder without a team is their first station's team's). Moving the
responder to another team hands their alerts over (app/training/responders.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.alerts.apply import Applied, SubjectWants, Wanted, apply_wanted
from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.lifecycle import Subject
from app.alerts.stages import EXPIRED, expiry_stage
from app.models import Alert, Responder, ResponderSite, Site

SUBJECT = "responder"
EXPIRING, EXPIRED_KIND = "certificate_expiring", "certificate_expired"
KINDS = frozenset({EXPIRING, EXPIRED_KIND})
#: One story, newest chapter first.
CHAIN = (EXPIRED_KIND, EXPIRING)


def subject_of(responder_id: int) -> Subject:
    return Subject(SUBJECT, str(responder_id))


def certificate_wants(expires_on: date | None, today: date,
                      leads: Sequence[int]) -> list[Wanted]:
    stage = expiry_stage(expires_on, today, leads)
    if stage is None or expires_on is None:
        return []
    detail = {"expiry": expires_on.isoformat()}
    if stage == EXPIRED:
        return [Wanted(EXPIRED_KIND, stage=EXPIRED, detail=detail)]
    return [Wanted(EXPIRING, stage=stage, detail=detail)]


def _relied_on() -> ColumnElement[bool]:
    serves = exists().where(ResponderSite.responder_id == Responder.id)
    return or_(Responder.team_id.is_not(None), serves)


def team_in_charge_sql() -> ColumnElement[int | None]:
    """A responder's team, else the team of the first station they serve."""
    first_station = (
        select(Site.team_id).join(ResponderSite, ResponderSite.site_id == Site.id)
        .where(ResponderSite.responder_id == Responder.id, Site.team_id.is_not(None))
        .order_by(Site.id).limit(1).scalar_subquery()
    )
    return func.coalesce(Responder.team_id, first_station)


def sync_certificate_alerts(session: Session, today: date, now: datetime,
                            leads: Sequence[int],
                            responder_ids: Sequence[int] | None = None) -> Applied:
    """Make the certificate alerts of ``responder_ids`` (None: everyone) match the
    certificates, in the caller's transaction."""
    session.flush()
    horizon = today + timedelta(days=max(leads))
    due = select(Responder.id, Responder.certificate_expires_on).where(
        Responder.erased_at.is_(None), Responder.certificate_expires_on <= horizon,
        _relied_on())
    active = select(Alert.subject_id).where(
        Alert.subject_type == SUBJECT, Alert.kind.in_(sorted(KINDS)),
        Alert.status.in_(ACTIVE_STATES))
    if responder_ids is not None:
        due = due.where(Responder.id.in_(responder_ids))
        active = active.where(Alert.subject_id.in_([str(i) for i in responder_ids]))
    wanted = {rid: certificate_wants(expires, today, leads)
              for rid, expires in session.execute(due)}
    judged = set(wanted) | {int(s) for s in session.scalars(active) if s.isdigit()}
    if responder_ids is not None:
        judged |= set(responder_ids)
    applied = apply_wanted(session, SUBJECT, [
        SubjectWants(subject_of(rid), wanted.get(rid, ())) for rid in sorted(judged)
    ], KINDS, now, CHAIN)
    _assign_opened(session, applied)
    return applied


def _assign_opened(session: Session, applied: Applied) -> None:
    """Alerts opened now go to the responder's team, which the outbox routes by."""
    if not applied.opened:
        return
    ids = {int(change.subject_id): change.id for change in applied.opened}
    teams: dict[int, int | None] = dict(session.execute(
        select(Responder.id, team_in_charge_sql()).where(Responder.id.in_(ids))).all())
    for responder_id, alert_id in ids.items():
        team_id = teams.get(responder_id)
        if team_id is not None:
            session.execute(update(Alert).where(Alert.id == alert_id)
                            .values(assigned_team_id=team_id)
                            .execution_options(synchronize_session=False))
