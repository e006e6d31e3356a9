"""The programme report the district publishes: anonymous counts only.

For a year (local calendar, Asia/Shanghai):
- people trained per course type, per branch (the organisation that ran the course) and,
  for the chart, per year over every year with courses. A course's people are its
  headcount when one was taken, else the number on its attendee list; "certificate-level
  trainees" are the people of certificate courses, "awareness reach" those of awareness
  sessions. Attendances stay when a responder is erased, so erasing changes no count;
- the upkeep the programme stands beside: monthly checks of AEDs (inspections, and the
  AEDs they covered), restocks done (audit rows of action ``restock``) and use incidents
  handled (``aed_in_use`` alerts resolved), each counted by the local day it happened;
- as of today, the certificates that expire within the next 90 days.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    COURSE_TYPES,
    Alert,
    Asset,
    AuditLog,
    Course,
    CourseAttendance,
    Inspection,
    Organisation,
    Responder,
)
from app.training.certificates import valid_sql
from app.training.words import COURSE_TYPE_WORDS

EXPIRING_WITHIN_DAYS = 90


@dataclass(frozen=True)
class Branch:
    """People trained by one organisation's courses (``id`` None: no branch recorded)."""

    id: int | None
    name: str
    name_en: str | None
    people: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.people.values())


@dataclass
class ProgrammeReport:
    year: int
    today: date
    #: People per course type, by year: every year with a course (for the chart).
    by_year: dict[int, dict[str, int]] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    branches: list[Branch] = field(default_factory=list)
    expiring: int = 0
    inspections: int = 0
    aeds_inspected: int = 0
    restocks: int = 0
    incidents: int = 0

    @property
    def people(self) -> dict[str, int]:
        """People per course type in the report's year."""
        return self.by_year.get(self.year, dict.fromkeys(COURSE_TYPES, 0))

    @property
    def certificate_trainees(self) -> int:
        return self.people["certificate"]

    @property
    def awareness_reach(self) -> int:
        return self.people["awareness"]


def year_span(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local year as UTC moments [start, end)."""
    start = datetime.combine(date(year, 1, 1), time(), tz).astimezone(UTC)
    return start, datetime.combine(date(year + 1, 1, 1), time(), tz).astimezone(UTC)


def programme_report(session: Session, year: int, now: datetime, tz: ZoneInfo,
                     ) -> ProgrammeReport:
    today = now.astimezone(tz).date()
    report = ProgrammeReport(year=year, today=today)
    listed = (select(CourseAttendance.course_id, func.count().label("n"))
              .group_by(CourseAttendance.course_id).subquery())
    people = func.coalesce(Course.headcount, listed.c.n, 0)
    by_branch: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COURSE_TYPES, 0))
    for held_on, kind, org_id, n in session.execute(
            select(Course.held_on, Course.course_type, Course.organisation_id, people)
            .outerjoin(listed, listed.c.course_id == Course.id)):
        per_type = report.by_year.setdefault(held_on.year, dict.fromkeys(COURSE_TYPES, 0))
        per_type[kind] = per_type.get(kind, 0) + int(n)
        if held_on.year == year:
            report.courses[kind] = report.courses.get(kind, 0) + 1
            by_branch[org_id][kind] = by_branch[org_id].get(kind, 0) + int(n)
    report.by_year = dict(sorted(report.by_year.items()))
    names = {oid: (name, name_en) for oid, name, name_en in session.execute(
        select(Organisation.id, Organisation.name, Organisation.name_en)
        .where(Organisation.id.in_([o for o in by_branch if o is not None])))}
    report.branches = sorted(
        (Branch(oid, *names.get(oid or 0, ("", None)), counts)
         for oid, counts in by_branch.items()),
        key=lambda b: (b.id is None, -b.total, b.name))
    report.expiring = int(session.scalar(select(func.count()).select_from(Responder).where(
        valid_sql(today),
        Responder.certificate_expires_on <= today + timedelta(days=EXPIRING_WITHIN_DAYS))) or 0)
    start, end = year_span(year, tz)
    inspections, aeds = session.execute(
        select(func.count(), func.count(func.distinct(Inspection.asset_id)))
        .join(Asset, Asset.id == Inspection.asset_id)
        .where(Asset.kind == "aed", Inspection.performed_at >= start,
               Inspection.performed_at < end)).one()
    report.inspections, report.aeds_inspected = int(inspections), int(aeds)
    report.restocks = int(session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "restock", AuditLog.at >= start, AuditLog.at < end)) or 0)
    report.incidents = int(session.scalar(select(func.count()).select_from(Alert).where(
        Alert.kind == "aed_in_use", Alert.status == "resolved", Alert.resolved_at >= start,
        Alert.resolved_at < end)) or 0)
    return report


def _cell(value: object) -> str:
    text = str(value)
    # Spreadsheet formula injection: a cell starting with these runs as a formula.
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text


def report_csv(report: ProgrammeReport, locale: str | None) -> str:
    """The report as one table: what is counted, by what, and the count. Codes stay as
    they are; the label column is in ``locale``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["year", "measure", "by", "group", "label", "value"])
    year = report.year

    def row(measure: str, by: str, group: object, label: str, value: int) -> None:
        writer.writerow([year, measure, by, group, _cell(label), value])

    for kind in COURSE_TYPES:
        label = COURSE_TYPE_WORDS[kind].in_(locale)
        row("people", "course_type", kind, label, report.people.get(kind, 0))
        row("courses", "course_type", kind, label, report.courses.get(kind, 0))
    for branch in report.branches:
        label = (branch.name_en if locale == "en" and branch.name_en else branch.name)
        for kind in COURSE_TYPES:
            row(f"people_{kind}", "branch", branch.id if branch.id is not None else "",
                label, branch.people.get(kind, 0))
    for other, per_type in report.by_year.items():
        for kind in COURSE_TYPES:
            row(f"people_{kind}", "year", other, str(other), per_type.get(kind, 0))
    row("certificates_expiring_90_days", "as_of", report.today.isoformat(), "",
        report.expiring)
    row("aed_inspections", "", "", "", report.inspections)
    row("aeds_inspected", "", "", "", report.aeds_inspected)
    row("restocks", "", "", "", report.restocks)
    row("use_incidents_handled", "", "", "", report.incidents)
    return out.getvalue()
