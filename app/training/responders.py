"""Responders as coordinators record them (web form and API, one validator): create,
edit, erase, in the caller's transaction.

A record is checked whole (an edit as the record it makes), every problem at once, one
FieldError per field: the web form shows each beside its field, the API answers 422
naming them. The phone and the certificate number identify a person, so each belongs
to one responder. A certificate lasts the usual years from its issue unless it is given
its own expiry (app/training/certificates.py). Saving re-checks the responder's alerts
and the cover of every site they served before or serve now; moving them to another
team hands their open alerts to it (app/alerts/lifecycle.assign).

Erasing blanks the name, phone, certificate and team, takes the responder off every
site and scrubs the name from the messages already sent about them; the row and its
course attendances stay, so the programme's counts do not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.lifecycle import assign, resolve
from app.models import Alert, NotificationLog, Organisation, Responder, ResponderSite, Site, Team
from app.training import rules
from app.training.alerts import KINDS, SUBJECT
from app.training.certificates import certificate_dates
from app.training.refresh import TrainingContext, check_training
from app.training.rules import MAX_ID, N_, Collector

#: What a scrubbed message shows where the erased responder's name stood.
SCRUBBED = "***"


@dataclass(frozen=True)
class ServedSite:
    site_id: int
    role: str


@dataclass(frozen=True)
class ResponderRecord:
    name: str
    phone: str | None
    organisation_id: int | None
    team_id: int | None
    certificate_number: str | None
    certificate_issued_on: date | None
    certificate_expires_on: date | None
    sites: tuple[ServedSite, ...] = ()


#: The record's fields: the form's, the API's and the import's names for them.
FIELDS = ("name", "phone", "organisation_id", "team_id", "certificate_number",
          "certificate_issued_on", "certificate_expires_on", "sites")


def current_values(responder: Responder, sites: Sequence[ServedSite]) -> dict[str, Any]:
    """The responder as the values a record is read from (for an edit)."""
    return {"name": responder.name, "phone": responder.phone,
            "organisation_id": responder.organisation_id, "team_id": responder.team_id,
            "certificate_number": responder.certificate_number,
            "certificate_issued_on": responder.certificate_issued_on,
            "certificate_expires_on": responder.certificate_expires_on,
            "sites": [{"site_id": s.site_id, "role": s.role} for s in sites]}


def _sites(check: Collector, value: Any) -> tuple[ServedSite, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        check.add("sites", N_("Must be a list of stations."))
        return ()
    out: list[ServedSite] = []
    seen: set[int] = set()
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            check.add(f"sites.{i}", N_("Must name a station and a role."))
            continue
        where = f"sites.{i}.site_id"
        site_id = check.read(where, rules.whole, item.get("site_id"), 1, MAX_ID)
        role = check.read(f"sites.{i}.role", rules.service_role, item.get("role"))
        if site_id is None:
            if not any(e.field == where for e in check.errors):
                check.add(where, N_("Choose a station."))
            continue
        if site_id in seen:
            check.add(f"sites.{i}.site_id", N_("This station is listed twice."))
            continue
        seen.add(site_id)
        if role is not None:
            out.append(ServedSite(site_id, role))
    return tuple(out)


def read_responder(values: Mapping[str, Any], years: int) -> ResponderRecord:
    """A record from what was typed or sent, or TrainingInvalid with every problem. A
    certificate without its own expiry lasts ``years`` from its issue."""
    check = Collector()
    name = check.read("name", rules.name, values.get("name"))
    phone = check.read("phone", rules.phone, values.get("phone"))
    org = check.read("organisation_id", rules.whole, values.get("organisation_id"), 1, MAX_ID)
    team = check.read("team_id", rules.whole, values.get("team_id"), 1, MAX_ID)
    number = check.read("certificate_number", rules.certificate_number,
                        values.get("certificate_number"))
    issued = check.read("certificate_issued_on", rules.day, values.get("certificate_issued_on"))
    expires = check.read("certificate_expires_on", rules.day,
                         values.get("certificate_expires_on"))
    sites = _sites(check, values.get("sites"))
    if number and issued is None and expires is None and not any(
            e.field.startswith("certificate_") for e in check.errors):
        check.add("certificate_issued_on", N_("Enter the day the certificate was issued."))
    if issued and expires and expires <= issued:
        check.add("certificate_expires_on", N_("Must be after the day it was issued."))
    check.check()
    validity = certificate_dates(issued, expires, years)
    return ResponderRecord(name, phone, org, team, number, validity.issued_on,
                           validity.expires_on, sites)


def _references(session: Session, record: ResponderRecord,
                responder_id: int | None) -> None:
    """What only the database can answer: the rows named exist, and the phone and the
    certificate belong to nobody else."""
    check = Collector()
    if record.organisation_id and session.get(Organisation, record.organisation_id) is None:
        check.add("organisation_id", N_("There is no such organisation."))
    if record.team_id and session.get(Team, record.team_id) is None:
        check.add("team_id", N_("There is no such team."))
    wanted = [s.site_id for s in record.sites]
    known = set(session.scalars(select(Site.id).where(Site.id.in_(wanted)))) if wanted else set()
    for i, served in enumerate(record.sites):
        if served.site_id not in known:
            check.add(f"sites.{i}.site_id", N_("There is no such station."))
    for column, value in (("phone", record.phone),
                          ("certificate_number", record.certificate_number)):
        if value is None:
            continue
        other = session.scalar(select(Responder.id).where(
            getattr(Responder, column) == value, Responder.id != (responder_id or 0)))
        if other is not None:
            check.add(column, N_("This belongs to another responder (no. %(id)d)."), id=other)
    check.check()


def _served(session: Session, responder_id: int) -> list[ResponderSite]:
    return list(session.scalars(select(ResponderSite).where(
        ResponderSite.responder_id == responder_id).order_by(ResponderSite.site_id)))


def served_sites(session: Session, responder_id: int) -> list[ServedSite]:
    return [ServedSite(s.site_id, s.role) for s in _served(session, responder_id)]


def save_responder(session: Session, responder: Responder | None, record: ResponderRecord,
                   now: datetime, ctx: TrainingContext) -> Responder:
    """Create (``responder`` None) or update; TrainingInvalid when a reference or a
    uniqueness rule fails. The caller commits."""
    _references(session, record, responder.id if responder else None)
    old_team = responder.team_id if responder else None
    if responder is None:
        responder = Responder(name=record.name)
        session.add(responder)
    for column in ("name", "phone", "organisation_id", "team_id", "certificate_number",
                   "certificate_issued_on", "certificate_expires_on"):
        if getattr(responder, column) != getattr(record, column):
            setattr(responder, column, getattr(record, column))
    session.flush()
    links = {link.site_id: link for link in _served(session, responder.id)}
    before = set(links)
    for served in record.sites:
        link = links.pop(served.site_id, None)
        if link is None:
            session.add(ResponderSite(responder_id=responder.id, site_id=served.site_id,
                                      role=served.role))
        elif link.role != served.role:
            link.role = served.role
    for link in links.values():
        session.delete(link)
    session.flush()
    if old_team != responder.team_id:
        for alert in _active_alerts(session, responder.id):
            assign(session, alert, responder.team_id)
    check_training(session, now, ctx, [responder.id], before)
    return responder


def _active_alerts(session: Session, responder_id: int) -> list[Alert]:
    return list(session.scalars(select(Alert).where(
        Alert.subject_type == SUBJECT, Alert.subject_id == str(responder_id),
        Alert.kind.in_(sorted(KINDS)), Alert.status.in_(ACTIVE_STATES))))


def erase_responder(session: Session, responder: Responder, user_id: int | None,
                    now: datetime, ctx: TrainingContext) -> None:
    """Remove the person, keep the counts. The caller commits."""
    if responder.erased_at is not None:
        return
    name = responder.name
    before = {link.site_id for link in _served(session, responder.id)}
    for alert in _active_alerts(session, responder.id):
        resolve(session, alert, user_id, now, "resolved")
    for link in _served(session, responder.id):
        session.delete(link)
    responder.name = ""
    for column in ("phone", "organisation_id", "team_id", "certificate_number",
                   "certificate_issued_on", "certificate_expires_on"):
        setattr(responder, column, None)
    responder.erased_at = now
    session.flush()
    _scrub_messages(session, responder.id, name)
    check_training(session, now, ctx, [responder.id], before)


def _scrub_messages(session: Session, responder_id: int, name: str) -> None:
    """The messages already written about the responder's alerts lose the name."""
    if not name:
        return
    alert_ids = select(Alert.id).where(Alert.subject_type == SUBJECT,
                                       Alert.subject_id == str(responder_id))
    for row_id, subject, body in session.execute(
            select(NotificationLog.id, NotificationLog.subject, NotificationLog.body)
            .where(NotificationLog.alert_id.in_(alert_ids))):
        session.execute(update(NotificationLog).where(NotificationLog.id == row_id).values(
            subject=(subject or "").replace(name, SCRUBBED),
            body=(body or "").replace(name, SCRUBBED)))
