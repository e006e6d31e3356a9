"""The training rules as tables: certificate validity (Python and SQL agree), how long a
certificate lasts and how a course renews it, the settings, and the field readers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import ConfigError
from app.models import Responder
from app.training import rules
from app.training.attendee_files import column_of, read_attendees
from app.training.certificates import (
    Validity,
    certificate_dates,
    is_valid,
    renewed,
    valid_sql,
    years_after,
)
from app.training.policy import TrainingPolicy, load_training_policy
from app.training.rules import FieldProblem
from tests.training.factories import Row, xlsx_bytes

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(("expires", "valid"), [
    (None, False), (date(2026, 12, 1), False), (date(2026, 12, 2), False),
    (date(2026, 12, 3), True), (date(2030, 1, 1), True),
])
def test_validity_in_python(expires: date | None, valid: bool) -> None:
    assert is_valid(expires, TODAY) is valid


def test_validity_in_sql_agrees_with_python(db: Session) -> None:
    ends = [None, date(2026, 11, 1), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3),
            date(2027, 6, 1)]
    for n, end in enumerate(ends):
        db.add(Responder(name=f"r{n}", certificate_expires_on=end))
    db.add(Responder(name="erased", certificate_expires_on=date(2030, 1, 1),
                     erased_at=datetime(2026, 1, 1).astimezone()))
    db.flush()
    in_sql = set(db.scalars(select(Responder.name).where(valid_sql(TODAY))))
    in_python = {f"r{n}" for n, end in enumerate(ends) if is_valid(end, TODAY)}
    assert in_sql == in_python == {"r4", "r5"}


def test_how_long_a_certificate_lasts() -> None:
    assert years_after(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert certificate_dates(date(2026, 3, 1), None, 3) == Validity(date(2026, 3, 1),
                                                                    date(2029, 3, 1))
    own = certificate_dates(date(2026, 3, 1), date(2027, 1, 1), 3)
    assert own.expires_on == date(2027, 1, 1)
    assert certificate_dates(None, None, 3) == Validity(None, None)


def test_a_course_renews_and_never_shortens() -> None:
    current = Validity(date(2024, 5, 1), date(2027, 5, 1))
    assert renewed(current, date(2026, 12, 1), 3) == Validity(date(2026, 12, 1),
                                                              date(2029, 12, 1))
    long = Validity(date(2026, 1, 1), date(2035, 1, 1))
    assert renewed(long, date(2026, 12, 1), 3) == Validity(date(2026, 12, 1), date(2035, 1, 1))
    assert renewed(Validity(None, None), date(2026, 12, 1), 2).expires_on == date(2028, 12, 1)


def test_the_settings(tmp_path: Path) -> None:
    assert load_training_policy({}, {}) == TrainingPolicy()
    policy = load_training_policy({"CERTIFICATE_VALID_YEARS": "2"},
                                  {"TRAINING_MIN_RESPONDERS_DEFAULT": "1",
                                   "TRAINING_REMINDER_LEAD_DAYS": "60,90,7"})
    assert (policy.certificate_valid_years, policy.min_responders_default,
            policy.reminder_lead_days) == (2, 1, (90, 60, 7))
    assert policy.minimum_for("party_service_station", None) == 2
    assert policy.minimum_for("school", None) == 1
    assert policy.minimum_for("party_service_station", 0) == 0
    file = tmp_path / "settings.toml"
    file.write_text("[training]\nmin_responders = { school = 4 }\n", "utf-8")
    assert load_training_policy({}, {}, file).minimum_for("school", None) == 4
    for bad in ({"CERTIFICATE_VALID_YEARS": "three"}, {"CERTIFICATE_VALID_YEARS": "0"},
                {"TRAINING_REMINDER_LEAD_DAYS": ""}, {"TRAINING_REMINDER_LEAD_DAYS": "-3"}):
        with pytest.raises(ConfigError) as raised:
            load_training_policy(bad, {})
        assert raised.value.setting in bad


@pytest.mark.parametrize(("typed", "stored"), [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"), ("008613800138000", "13800138000"),
    (13800138000, "13800138000"), (13800138000.0, "13800138000"),
    ("021-6543 2100", "02165432100"), ("+44 20 7946 0958", "+442079460958"), ("", None),
])
def test_phones_are_stored_in_the_form_people_are_matched_by(typed: Any, stored: str) -> None:
    assert rules.phone(typed) == stored


@pytest.mark.parametrize("typed", ["138abc", "12", "+", True, ["1"], "1" * 30, "138\n0013"])
def test_what_is_no_phone(typed: Any) -> None:
    with pytest.raises(FieldProblem):
        rules.phone(typed)


@pytest.mark.parametrize(("typed", "day"), [
    ("2026-03-01", date(2026, 3, 1)), ("2026/3/1", date(2026, 3, 1)),
    ("2026.03.01", date(2026, 3, 1)), ("2026年3月1日", date(2026, 3, 1)),
    (datetime(2026, 3, 1, 0, 0), date(2026, 3, 1)), (date(2026, 3, 1), date(2026, 3, 1)),
    ("", None), (None, None),
])
def test_days_as_people_write_them(typed: Any, day: date | None) -> None:
    assert rules.day(typed) == day


@pytest.mark.parametrize("typed", ["2026-02-30", "3/1/2026", "1850-01-01", 45000, "soon"])
def test_what_is_no_day(typed: Any) -> None:
    with pytest.raises(FieldProblem):
        rules.day(typed)


def test_headings_of_a_training_base() -> None:
    assert [column_of(h) for h in ("姓名", " 手机号码 ", "Phone", "证书编号", "有效期至",
                                   "性别", None)] == [
        "name", "phone", "phone", "certificate_number", "expires_on", None, None]


def test_a_workbook_is_read_as_excel_writes_it() -> None:
    data = xlsx_bytes([Row("张三", "13800138000", "SH-1", issued_on="2026-03-01"),
                       Row("李四", "139 0000 1111")])
    rows = read_attendees(data, "list.xlsx")
    assert [line for line, _row in rows] == [2, 3]
    first = rows[0][1]
    assert first["phone"] == 13800138000 and first["issued_on"] == datetime(2026, 3, 1)
    assert rules.phone(first["phone"]) == "13800138000"
    assert "性别" not in first and set(first) == {
        "name", "phone", "certificate_number", "organisation", "team", "issued_on",
        "expires_on"}
