"""A course's attendee list from the training base, through the web upload (CSV) and
the CLI (.xlsx), sharing one importer: 500 people, 3 bad rows, 10 already known."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Course, CourseAttendance, Responder
from app.training.certificates import years_after
from tests.support.web_login import csrf_token
from tests.training.conftest import World
from tests.training.factories import Row, csv_bytes, days, make_course, make_responder, xlsx_bytes

KNOWN = 10
BAD_LINES = (42, 250, 501)  # file lines (the header is line 1)


@dataclass
class Roster:
    course: Course
    rows: list[Row]
    known: list[Responder]


def build_roster(db: Session, world: World) -> Roster:
    """500 rows: rows 0-4 are known people by certificate number, rows 5-9 by phone
    only, three rows are bad, the rest are new people."""
    course = make_course(db, days(-3), organisation=world.org)
    known = [make_responder(db, 9000 + i, days(20), team=world.team) for i in range(KNOWN)]
    rows: list[Row] = []
    for i in range(500):
        line = i + 2
        if line == BAD_LINES[0]:
            rows.append(Row(f"学员{i}", phone="138-abc-0000"))
        elif line == BAD_LINES[1]:
            rows.append(Row("", phone=f"137{i:08d}", certificate_number=f"YP-{i:05d}"))
        elif line == BAD_LINES[2]:
            rows.append(Row(f"学员{i}", phone=f"137{i:08d}", issued_on="2026-13-40"))
        elif i < 5:
            rows.append(Row(known[i].name, certificate_number=known[i].certificate_number or "",
                            organisation="定海路街道红十字会", team="riverside"))
        elif i < KNOWN:
            rows.append(Row(known[i].name, phone=f"+86 {known[i].phone}"))
        else:
            rows.append(Row(f"学员{i}", phone=f"137{i:08d}", certificate_number=f"YP-{i:05d}",
                            organisation="dinghailu"))
    db.commit()
    return Roster(course, rows, known)


def snapshot(db: Session) -> list[tuple[object, ...]]:
    db.expire_all()
    people = [(r.id, r.name, r.phone, r.certificate_number, r.organisation_id, r.team_id,
               r.certificate_issued_on, r.certificate_expires_on)
              for r in db.scalars(select(Responder).order_by(Responder.id))]
    attendances = sorted(tuple(row) for row in db.execute(
        select(CourseAttendance.course_id, CourseAttendance.responder_id)))
    return [*people, *attendances]


def upload(client: FlaskClient, course: Course, data: bytes, name: str,
           dry_run: bool = False) -> tuple[int, str]:
    form: dict[str, object] = {"csrf_token": csrf_token(client, f"/trainings/{course.id}"),
                               "file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "yes"
    resp = client.post(f"/trainings/{course.id}/attendees", data=form,
                       content_type="multipart/form-data")
    return resp.status_code, resp.get_data(as_text=True)


def summary(html: str) -> str:
    found = re.search(r'<p id="import-summary">([^<]*)</p>', html)
    assert found, html[:2000]
    return found.group(1)


def error_lines(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li data-line="(\d+)">', html)]


def check_outcome(db: Session, roster: Roster) -> None:
    count = db.scalar(select(func.count()).select_from(Responder))
    assert count == KNOWN + 487
    listed = db.scalar(select(func.count()).select_from(CourseAttendance).where(
        CourseAttendance.course_id == roster.course.id))
    assert listed == 497
    renewed = years_after(roster.course.held_on, 3)
    for person in roster.known:
        db.refresh(person)
        assert person.certificate_expires_on == renewed, person.name
        assert person.certificate_issued_on == roster.course.held_on
    by_certificate = roster.known[0]
    assert by_certificate.organisation_id == roster.course.organisation_id
    new = db.scalar(select(Responder).where(Responder.certificate_number == "YP-00100"))
    assert new is not None and new.phone == "13700000100"
    assert new.certificate_expires_on == renewed


def test_web_upload_of_500_creates_487_updates_10_reports_3_and_reruns_to_nothing(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    roster = build_roster(db, world)
    data = csv_bytes(roster.rows)
    before = snapshot(db)
    coordinator_client.get("/lang/en")
    status, html = upload(coordinator_client, roster.course, data, "学员名单.csv", dry_run=True)
    assert status == 200 and "Dry run: nothing was changed" in html
    assert summary(html) == "487 new, 10 updated, 0 unchanged, 3 lines with errors."
    assert error_lines(html) == list(BAD_LINES)
    assert snapshot(db) == before  # a dry run changes nothing

    status, html = upload(coordinator_client, roster.course, data, "学员名单.csv")
    assert status == 200 and error_lines(html) == list(BAD_LINES)
    assert summary(html) == "487 new, 10 updated, 0 unchanged, 3 lines with errors."
    check_outcome(db, roster)
    after = snapshot(db)

    status, html = upload(coordinator_client, roster.course, data, "学员名单.csv")
    assert status == 200 and error_lines(html) == list(BAD_LINES)
    assert summary(html) == "0 new, 0 updated, 497 unchanged, 3 lines with errors."
    assert snapshot(db) == after


def test_cli_import_of_the_xlsx_list_shares_the_importer(
        db: Session, world: World, runner: FlaskCliRunner, tmp_path: Path) -> None:
    roster = build_roster(db, world)
    path = tmp_path / "学员名单.xlsx"
    path.write_bytes(xlsx_bytes(roster.rows))
    args = ["training", "import", str(roster.course.id), str(path)]
    before = snapshot(db)
    result = runner.invoke(args=[*args, "--dry-run"])
    assert result.exit_code == 1, result.output
    assert "would import 497 attendees (487 new, 10 updated, 0 unchanged); 3 lines" in result.output
    assert snapshot(db) == before

    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert "imported 497 attendees (487 new, 10 updated, 0 unchanged); 3 lines" in result.output
    for line in BAD_LINES:
        assert f"学员名单.xlsx:{line}: " in result.output
    assert "学员名单.xlsx:42: phone: Enter a phone number" in result.output
    assert "学员名单.xlsx:250: name: This is required." in result.output
    assert "学员名单.xlsx:501: issued_on: Enter a date as YYYY-MM-DD." in result.output
    check_outcome(db, roster)
    after = snapshot(db)

    result = runner.invoke(args=args)
    assert "imported 497 attendees (0 new, 0 updated, 497 unchanged); 3 lines" in result.output
    assert snapshot(db) == after


def test_duplicates_in_the_file_and_against_the_registry(
        db: Session, world: World, runner: FlaskCliRunner, tmp_path: Path) -> None:
    course = make_course(db, days(-1))
    anna = make_responder(db, 1, days(400))
    bo = make_responder(db, 2, days(400))
    db.commit()
    rows = [
        Row("新人甲", phone="13611110000", certificate_number="NEW-1"),          # line 2
        Row("新人乙", phone="13611110001", certificate_number="NEW-1"),          # 3: number twice
        Row("新人丙", phone="136 1111 0000"),                                    # 4: phone twice
        Row(anna.name, phone=bo.phone or "", certificate_number=anna.certificate_number or ""),  # 5
        Row("换证人", phone=anna.phone or "", certificate_number=bo.certificate_number or ""),   # 6
        Row("无联系", organisation="定海路街道红十字会"),                         # 7: neither
        Row("不存在", phone="13611110009", team="no-such-team"),                 # 8
    ]
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(rows))
    result = runner.invoke(args=["training", "import", str(course.id), str(path)])
    out = result.output
    assert result.exit_code == 1
    assert "list.csv:3: certificate_number: NEW-1 is already on line 2 of this file." in out
    assert "list.csv:4: phone: 13611110000 is already on line 2 of this file." in out
    assert f"list.csv:5: phone: This phone belongs to responder no. {bo.id}" in out
    assert f"list.csv:6: phone: This phone belongs to responder no. {anna.id}" in out
    assert "list.csv:7: phone: Give a phone or a certificate number" in out
    assert 'list.csv:8: team: There is no team called "no-such-team".' in out
    assert "(1 new, 0 updated, 0 unchanged); 6 lines with errors" in out
    assert db.scalar(select(func.count()).select_from(Responder)) == 3


@dataclass(frozen=True)
class BadFile:
    name: str
    data: bytes
    reason: str


def _zip_with(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_FILES = [
    BadFile("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "Excel 97-2003"),
    BadFile("list.xlsx", b"PK\x03\x04 this is no zip at all", "cannot be read"),
    BadFile("list.xlsx", _zip_with({"hello.txt": b"not a workbook"}), "cannot be read"),
    BadFile("bomb.xlsx", _zip_with({"xl/big.xml": b"0" * (201 * 1024 * 1024)}), "unpacks to"),
    BadFile("list.csv", "姓名,手机\n张三,13800138000\n".encode("gb18030"), "GBK"),
    BadFile("list.csv", "名字,电话号\n张三,1\n".encode(), "name column"),
    BadFile("list.csv", "姓名;手机\n张三;1\n".encode(), "separated by"),
    BadFile("list.csv", "姓名,单位\n张三,x\n".encode(), "phone (手机) or a certificate"),
    BadFile("list.csv", b"", "empty"),
    BadFile("list.xlsx", xlsx_bytes([]), "no rows"),
]


@pytest.mark.parametrize("bad", BAD_FILES, ids=lambda b: f"{b.name}-{b.reason}")
def test_a_bad_file_is_refused_with_its_reason_and_changes_nothing(
        db: Session, world: World, coordinator_client: FlaskClient, bad: BadFile) -> None:
    course = make_course(db, days(-1))
    db.commit()
    coordinator_client.get("/lang/en")
    status, html = upload(coordinator_client, course, bad.data, bad.name)
    assert status == 400, html[:500]
    found = re.search(r'<p class="flash flash-error field-error" id="file-error"[^>]*>(.*?)</p>',
                      html, re.S)
    assert found and bad.reason in found.group(1), html[:3000]
    assert db.scalar(select(func.count()).select_from(Responder)) == 0


def test_a_bad_file_on_the_command_line_is_one_line_and_status_2(
        db: Session, world: World, runner: FlaskCliRunner, tmp_path: Path) -> None:
    course = make_course(db, days(-1))
    db.commit()
    path = tmp_path / "old.xls"
    path.write_bytes(BAD_FILES[0].data)
    result = runner.invoke(args=["training", "import", str(course.id), str(path)])
    assert result.exit_code == 2
    assert "old Excel 97-2003 workbook (.xls)" in result.output
    missing = runner.invoke(args=["training", "import", "99999", str(path)])
    assert missing.exit_code == 1 and "there is no course 99999" in missing.output


def test_the_upload_is_for_coordinators(
        db: Session, world: World, volunteer_client: FlaskClient) -> None:
    course = make_course(db, days(-1))
    db.commit()
    status, _html = upload(volunteer_client, course, csv_bytes([Row("x", "13800000000")]),
                           "l.csv")
    assert status == 403
    assert db.scalar(select(func.count()).select_from(Responder)) == 0
