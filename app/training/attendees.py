"""A course's attendee list into the registry: per-line errors, dry run, idempotent.
The web upload and ``flask training import`` both run :func:`import_attendees`.

Each row is a person, recognised by certificate number or, failing that, by phone:
someone already known is updated (never recorded twice), anyone else is added. Every
good row is applied even when others are bad; a bad row is reported with its line and
changes nothing. A line is bad when a field is (app/training/rules.py), when its
certificate number or phone was on an earlier line of the file, when its certificate
number and its phone belong to two different people, or when its certificate number
belongs to someone other than the person its phone names.

What a row sets: the person's name, organisation and team as the list gives them (an
empty cell leaves the value alone), the attendance of this course, and, for a
certificate course, the certificate: its number when the list gives one, its dates as
the list gives them, else renewed by the course (app/training/certificates.py). Running
the same list again changes nothing. The training alerts of everyone touched, and the
cover of their stations, are re-checked in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.importexport.fields import RowProblem
from app.models import Course, CourseAttendance, Organisation, Responder, Team
from app.training import rules
from app.training.certificates import Validity, certificate_dates, renewed
from app.training.refresh import TrainingContext, check_training
from app.training.rules import N_, Collector, FieldError, TrainingInvalid

#: Values per IN (...) list when looking people up.
CHUNK = 1000


@dataclass(frozen=True)
class LineError:
    line: int
    errors: tuple[FieldError, ...]

    @property
    def text(self) -> str:
        return "; ".join(f"{e.field}: {e.text}" if e.field else e.text for e in self.errors)


@dataclass
class AttendeeReport:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged,
                "errors": [{"line": e.line, "error": e.text} for e in self.errors]}


@dataclass(frozen=True)
class Attendee:
    line: int
    name: str
    phone: str | None
    certificate_number: str | None
    organisation_id: int | None
    team_id: int | None
    issued_on: date | None
    expires_on: date | None


def _lookup(rows: Iterable[Any]) -> dict[str, int]:
    """Code, name and English name (lower-cased) → id, for organisations or teams."""
    out: dict[str, int] = {}
    for row_id, *names in rows:
        for value in names:
            if value:
                out.setdefault(str(value).strip().lower(), row_id)
    return out


class _Reader:
    """One row's fields, every problem of the row at once."""

    def __init__(self, session: Session) -> None:
        self.orgs = _lookup(session.execute(
            select(Organisation.id, Organisation.code, Organisation.name, Organisation.name_en)))
        self.teams = _lookup(session.execute(
            select(Team.id, Team.code, Team.name, Team.name_en)))

    def read(self, line: int, raw: dict[str, Any]) -> Attendee:
        check = Collector()
        if isinstance(raw, RowProblem):
            check.add("", raw.reason)
            check.check()
        name = check.read("name", rules.name, raw.get("name"))
        phone = check.read("phone", rules.phone, raw.get("phone"))
        number = check.read("certificate_number", rules.certificate_number,
                            raw.get("certificate_number"))
        org = self._named(check, "organisation", self.orgs, raw.get("organisation"))
        team = self._named(check, "team", self.teams, raw.get("team"))
        issued = check.read("issued_on", rules.day, raw.get("issued_on"))
        expires = check.read("expires_on", rules.day, raw.get("expires_on"))
        if phone is None and number is None and not check.errors:
            check.add("phone", N_("Give a phone or a certificate number to recognise the "
                                  "person by."))
        if issued and expires and expires <= issued:
            check.add("expires_on", N_("Must be after the day it was issued."))
        check.check()
        assert name is not None
        return Attendee(line, name, phone, number, org, team, issued, expires)

    @staticmethod
    def _named(check: Collector, column: str, known: dict[str, int], value: Any) -> int | None:
        shown = check.read(column, rules.text, value, 200)
        if shown is None:
            return None
        found = known.get(shown.lower())
        if found is None:
            check.add(column, N_("There is no %(column)s called \"%(value)s\"."),
                      column=column, value=shown)
        return found


def _known(session: Session, column: Any, values: Sequence[str]) -> dict[str, Responder]:
    out: dict[str, Responder] = {}
    for start in range(0, len(values), CHUNK):
        for responder in session.scalars(select(Responder).where(
                column.in_(values[start:start + CHUNK]))):
            out[getattr(responder, column.key)] = responder
    return out


def _duplicate(line: int, column: str, value: str, first: int) -> FieldError:
    return FieldError(column, N_("%(value)s is already on line %(first)d of this file."),
                      {"value": value, "first": first})


def _match(person: Attendee, by_number: dict[str, Responder],
           by_phone: dict[str, Responder]) -> Responder | None:
    """The known responder this row is, or TrainingInvalid when its number and phone
    point at different people."""
    numbered = by_number.get(person.certificate_number) if person.certificate_number else None
    phoned = by_phone.get(person.phone) if person.phone else None
    if numbered is not None and phoned is not None and numbered.id != phoned.id:
        raise TrainingInvalid([FieldError("phone", N_(
            "This phone belongs to responder no. %(phone_id)d but the certificate number to "
            "responder no. %(number_id)d."), {"phone_id": phoned.id, "number_id": numbered.id})])
    return numbered or phoned


def _certificate(person: Attendee, responder: Responder | None, course: Course,
                 years: int) -> tuple[str | None, Validity]:
    """The certificate number and dates the responder has after this row."""
    number = person.certificate_number or (responder.certificate_number if responder else None)
    current = Validity(responder.certificate_issued_on if responder else None,
                       responder.certificate_expires_on if responder else None)
    if person.issued_on or person.expires_on:
        return number, certificate_dates(person.issued_on or course.held_on, person.expires_on,
                                         years)
    if course.course_type != "certificate":
        return number, current
    if responder is not None and person.certificate_number not in (
            None, responder.certificate_number):
        current = Validity(None, None)  # a new certificate: its own dates
    return number, renewed(current, course.held_on, years)


def _apply(session: Session, person: Attendee, responder: Responder | None, course: Course,
           years: int) -> tuple[Responder, bool]:
    number, validity = _certificate(person, responder, course, years)
    values = {"name": person.name, "phone": person.phone, "certificate_number": number,
              "organisation_id": person.organisation_id, "team_id": person.team_id,
              "certificate_issued_on": validity.issued_on,
              "certificate_expires_on": validity.expires_on}
    if responder is None:
        responder = Responder(**values)
        session.add(responder)
        return responder, True
    changed = False
    for column, value in values.items():
        if value is not None and getattr(responder, column) != value:
            setattr(responder, column, value)
            changed = True
    return responder, changed


def import_attendees(session: Session, course: Course, rows: Iterable[tuple[int, dict[str, Any]]],
                     now: datetime, ctx: TrainingContext, dry_run: bool = False,
                     ) -> AttendeeReport:
    """Apply the list; the caller commits (or, for a dry run, this rolls back)."""
    report = AttendeeReport(dry_run=dry_run)
    reader = _Reader(session)
    people: list[Attendee] = []
    first: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        try:
            person = reader.read(line, raw)
        except TrainingInvalid as invalid:
            report.errors.append(LineError(line, invalid.errors))
            continue
        twice = [_duplicate(line, column, value, first[(column, value)])
                 for column, value in (("certificate_number", person.certificate_number),
                                       ("phone", person.phone))
                 if value is not None and (column, value) in first]
        if twice:
            report.errors.append(LineError(line, tuple(twice)))
            continue
        for column, value in (("certificate_number", person.certificate_number),
                              ("phone", person.phone)):
            if value is not None:
                first[(column, value)] = line
        people.append(person)
    by_number = _known(session, Responder.certificate_number,
                       sorted({p.certificate_number for p in people if p.certificate_number}))
    by_phone = _known(session, Responder.phone, sorted({p.phone for p in people if p.phone}))
    attending = set(session.scalars(select(CourseAttendance.responder_id).where(
        CourseAttendance.course_id == course.id)))
    touched: list[Responder] = []
    years = ctx.policy.certificate_valid_years
    for person in people:
        try:
            known = _match(person, by_number, by_phone)
        except TrainingInvalid as invalid:
            report.errors.append(LineError(person.line, invalid.errors))
            continue
        responder, changed = _apply(session, person, known, course, years)
        session.flush()
        if responder.id not in attending:
            session.add(CourseAttendance(course_id=course.id, responder_id=responder.id,
                                         added_at=now))
            attending.add(responder.id)
            changed = True
        if known is None:
            report.created += 1
        elif changed:
            report.updated += 1
        else:
            report.unchanged += 1
        if changed:
            touched.append(responder)
    session.flush()
    if touched:
        check_training(session, now, ctx, [r.id for r in touched])
    if dry_run:
        session.rollback()
    else:
        audit.record(session, "import", "course", str(course.id), None, {
            "attendees": True, "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "errors": len(report.errors)})
    return report
