"""Builders for the training tests: people, courses, attendee files (CSV and .xlsx),
as a training base would send them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import (
    Course,
    CourseAttendance,
    Organisation,
    Responder,
    ResponderSite,
    Site,
    Team,
    User,
)

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "training-pass-2026"


def today() -> date:
    return datetime.now(UTC).astimezone(TZ).date()


def days(n: int) -> date:
    return today() + timedelta(days=n)


def added(db: Session, row: Any) -> Any:
    db.add(row)
    db.flush()
    return row


def make_user(db: Session, username: str, role: str, team: Team | None = None) -> User:
    # A cheap hash: the tests log in often, and the hash method is not what they test.
    return added(db, User(
        username=username, display_name=username, role=role, team=team, locale="zh_CN",
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))


def make_org(db: Session, code: str = "dinghailu", name: str = "定海路街道红十字会",
             name_en: str = "Dinghai Road Subdistrict Red Cross") -> Organisation:
    return added(db, Organisation(code=code, name=name, name_en=name_en, level="subdistrict"))


def make_course(db: Session, held_on: date | None = None, course_type: str = "certificate",
                organisation: Organisation | None = None, headcount: int | None = None,
                **values: Any) -> Course:
    return added(db, Course(held_on=held_on or today(), course_type=course_type,
                            training_base=values.pop("training_base", "central_hospital"),
                            organisation_id=organisation.id if organisation else None,
                            headcount=headcount, **values))


def make_responder(db: Session, n: int, expires: date | None = None,
                   team: Team | None = None, sites: Sequence[Site] = (),
                   role: str = "station_staff", **values: Any) -> Responder:
    """Responder no. ``n`` with a distinctive name and phone (searched for by the
    privacy crawl)."""
    responder = added(db, Responder(
        name=values.pop("name", f"测试救护员{n:03d}"), phone=values.pop("phone", f"1390000{n:04d}"),
        certificate_number=values.pop("certificate_number", f"SH-RC-{n:05d}"),
        certificate_issued_on=expires and expires - timedelta(days=3 * 365),
        certificate_expires_on=expires, team_id=team.id if team else None, **values))
    for site in sites:
        db.add(ResponderSite(responder_id=responder.id, site_id=site.id, role=role))
    db.flush()
    return responder


def attend(db: Session, course: Course, *responders: Responder) -> None:
    for responder in responders:
        db.add(CourseAttendance(course_id=course.id, responder_id=responder.id))
    db.flush()


@dataclass(frozen=True)
class Row:
    name: str
    phone: str = ""
    certificate_number: str = ""
    organisation: str = ""
    team: str = ""
    issued_on: str = ""
    expires_on: str = ""


HEADER_ZH = ["姓名", "手机", "证书编号", "单位", "队伍", "发证日期", "有效期至", "性别"]


def csv_bytes(rows: Sequence[Row], header: Sequence[str] = HEADER_ZH) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.name, r.phone, r.certificate_number, r.organisation, r.team,
                         r.issued_on, r.expires_on, "女"])
    return out.getvalue().encode("utf-8-sig")


def _date_cell(text: str) -> date | str:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # typed as text in the cell, as a slip would be


def xlsx_bytes(rows: Sequence[Row], header: Sequence[str] = HEADER_ZH,
               numbers: bool = True) -> bytes:
    """A workbook as Excel writes it: phones as numbers when they are digits only, dates
    as date cells."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for r in rows:
        phone: Any = int(r.phone) if numbers and r.phone.isdigit() else r.phone
        issued: Any = _date_cell(r.issued_on)
        sheet.append([r.name, phone, r.certificate_number, r.organisation, r.team, issued,
                      r.expires_on, "男"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
