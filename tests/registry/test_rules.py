"""The one validator, as a table: input as a form, the API or a file gives it, and what
comes out (a value, or the field's problem with its code and reason)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.alerts.texts import resolution_text
from app.registry import words
from app.registry.operations import MAX_RESOLUTION, retired_resolution
from app.registry.rules import (
    AssetRecord,
    FieldError,
    RegistryInvalid,
    changed,
    check_asset,
    check_retire_reason,
    check_site,
    with_changes,
)

TODAY = date(2026, 6, 1)
SITE = {"external_id": "site-1", "name": "秦皇岛路码头", "lat": "31.2517", "lon": "121.5210"}
AED = {"external_id": "aed-1", "name": "东侧入口AED", "lat": 31.2517, "lon": 121.521}

# (field, given, stored value): the same value however it is written.
GOOD = [
    ("lat", "31.2517", 31.2517),
    ("lat", 31.2517, 31.2517),
    ("lat", " -90 ", -90.0),
    ("lon", 180, 180.0),
    ("indoor", "yes", True),
    ("indoor", "是", True),
    ("indoor", True, True),
    ("indoor", "0", False),
    ("indoor", "", False),
    ("indoor", None, False),
    ("public", None, True),
    ("public", "否", False),
    ("public", "no", False),
    ("pad_expiry", "2027-01-31", date(2027, 1, 31)),
    ("pad_expiry", date(2027, 1, 31), date(2027, 1, 31)),
    ("pad_expiry", "", None),
    ("install_date", TODAY.isoformat(), TODAY),
    ("kind", "", "aed"),
    ("kind", "first_aid_kit", "first_aid_kit"),
    ("name_en", "  East entrance  ", "East entrance"),
    ("name_en", "", None),
    ("level", "-1", "-1"),
    ("cabinet", "东侧入口柜内", "东侧入口柜内"),
    ("guardian_phone", "021-6543 1234 转 8", "021-6543 1234 转 8"),
    ("access_hours", "24/7", "24/7"),
    # Not understood, and kept as typed (a warning, below).
    ("access_hours", "白天开放", "白天开放"),
    ("serial", 12345, "12345"),
]

# (field, given, code, reason).
BAD = [
    ("name", "", "required", "is required"),
    ("name", "   ", "required", "is required"),
    ("name", None, "required", "is required"),
    ("name", ["东侧"], "not_text", "must be text, not a list"),
    ("name", {"zh": "东侧"}, "not_text", "must be text, not an object"),
    ("name", "x" * 201, "too_long", "is longer than 200 characters"),
    ("name", "东\x00侧", "nul", "contains a NUL character"),
    ("name", "东\ud800侧", "surrogate", "contains an invalid character (a lone surrogate)"),
    ("external_id", "", "required", "is required"),
    ("external_id", "a" * 101, "too_long", "is longer than 100 characters"),
    ("lat", "north", "not_number", "is not a number: 'north'"),
    ("lat", True, "not_number", "is not a number: True"),
    ("lat", "", "required", "is required"),
    ("lat", 90.5, "out_of_range", "must be between -90 and 90"),
    ("lat", "nan", "out_of_range", "must be between -90 and 90"),
    ("lon", "-180.01", "out_of_range", "must be between -180 and 180"),
    ("lon", "1e999", "out_of_range", "must be between -180 and 180"),
    ("indoor", "maybe", "not_yes_no", "must be yes or no: 'maybe'"),
    ("public", ["yes"], "not_text", "must be text, not a list"),
    ("pad_expiry", "2027-13-45", "not_date", "is not a date (YYYY-MM-DD): '2027-13-45'"),
    ("pad_expiry", "31/01/2027", "not_date", "is not a date (YYYY-MM-DD): '31/01/2027'"),
    ("pad_expiry", "2207-01-01", "date_out_of_range", "must be a date between 1990 and 2100"),
    ("battery_expiry", "1926-01-01", "date_out_of_range",
     "must be a date between 1990 and 2100"),
    ("install_date", "2026-06-02", "in_future", "must not be after today (2026-06-01)"),
    ("kind", "defibrillator-ish", "not_a_choice", "must be one of aed, first_aid_kit"),
    ("level", "x" * 21, "too_long", "is longer than 20 characters"),
    ("guardian_phone", "1" * 41, "too_long", "is longer than 40 characters"),
    ("access_hours", "x" * 201, "too_long", "is longer than 200 characters"),
    ("paediatric_pad_expiry", "2027-01-01", "no_child_pads",
     "needs paediatric_pads: the AED has child pads"),
]


@pytest.mark.parametrize(("name", "given", "stored"), GOOD,
                         ids=[f"{n}={g!r}" for n, g, _ in GOOD])
def test_good_input_gives_a_typed_value(name: str, given: Any, stored: Any) -> None:
    record = check_asset({**AED, name: given}, TODAY).record
    assert getattr(record, name) == stored
    assert type(getattr(record, name)) is type(stored)


@pytest.mark.parametrize(("name", "given", "code", "reason"), BAD,
                         ids=[f"{n}={g!r}"[:60] for n, g, _, _ in BAD])
def test_bad_input_names_its_field(name: str, given: Any, code: str, reason: str) -> None:
    with pytest.raises(RegistryInvalid) as caught:
        check_asset({**AED, name: given}, TODAY)
    (error,) = caught.value.errors
    assert (error.field, error.code, error.reason) == (name, code, reason)
    assert error.sentence == f"{name} {reason}"
    # The form has words for every problem, in both languages.
    assert code in words.ERRORS
    assert words.error_text(error, "zh_CN") and words.error_text(error, "en")


def test_every_problem_is_reported_at_once_in_field_order() -> None:
    with pytest.raises(RegistryInvalid) as caught:
        check_asset({"external_id": "", "name": "", "lat": "x", "lon": 500,
                     "pad_expiry": "soon"}, TODAY)
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("external_id", "required"), ("name", "required"), ("lat", "not_number"),
        ("lon", "out_of_range"), ("pad_expiry", "not_date")]
    assert str(caught.value).startswith("external_id is required; name is required; ")


def test_child_pads_with_their_date_are_fine() -> None:
    record = check_asset({**AED, "paediatric_pads": "yes",
                          "paediatric_pad_expiry": "2027-01-01"}, TODAY).record
    assert record.paediatric_pads is True and record.paediatric_pad_expiry == date(2027, 1, 1)


def test_hours_not_understood_are_a_warning_not_an_error() -> None:
    checked = check_asset({**AED, "access_hours": "白天开放"}, TODAY)
    (warning,) = checked.warnings
    assert (warning.field, warning.code) == ("access_hours", "hours_unknown")
    assert "kept as typed" in warning.reason
    assert "无法识别的开放时间" in words.error_text(warning, "zh_CN")
    assert check_asset({**AED, "access_hours": "Mo-Fr 08:00-18:00"}, TODAY).warnings == ()
    site = check_site({**SITE, "opening_hours": "sometimes"})
    assert [w.field for w in site.warnings] == ["opening_hours"]


def test_a_site_by_the_same_rules() -> None:
    record = check_site({**SITE, "kind": "", "address": " 杨浦滨江 "}).record
    assert (record.kind, record.address, record.lat) == ("other", "杨浦滨江", 31.2517)
    with pytest.raises(RegistryInvalid) as caught:
        check_site({**SITE, "kind": "castle", "lat": "91", "contact_phone": "9" * 41})
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("kind", "not_a_choice"), ("lat", "out_of_range"), ("contact_phone", "too_long")]


def test_an_edit_is_checked_as_the_whole_record_it_makes() -> None:
    before = check_asset({**AED, "paediatric_pads": True,
                          "paediatric_pad_expiry": "2027-01-01"}, TODAY).record
    raw = with_changes(before, {"paediatric_pads": "no", "unknown_field": "x"})
    assert "unknown_field" not in raw
    with pytest.raises(RegistryInvalid) as caught:
        check_asset(raw, TODAY)
    assert [e.field for e in caught.value.errors] == ["paediatric_pad_expiry"]
    after = check_asset(with_changes(before, {"name_en": "East"}), TODAY).record
    assert changed(before, after) == {"name_en": (None, "East")}
    assert isinstance(after, AssetRecord)


@pytest.mark.parametrize(("given", "code"), [("", "required"), ("  ", "required"),
                                             ("x" * 501, "too_long")])
def test_a_retirement_needs_its_reason(given: str, code: str) -> None:
    with pytest.raises(RegistryInvalid) as caught:
        check_retire_reason(given)
    assert [(e.field, e.code) for e in caught.value.errors] == [("reason", code)]
    assert check_retire_reason(" 报废 ") == "报废"


def test_field_errors_fill_their_words() -> None:
    error = FieldError("lat", "out_of_range", "must be between %(lo)s and %(hi)s",
                       {"lo": -90, "hi": 90})
    assert words.error_text(error, "zh_CN") == "必须在 -90 到 90 之间。"
    assert words.error_text(error, "en") == "Must be between -90 and 90."
    assert words.error_text(FieldError("x", "no_such_code", "is odd"), "zh_CN") == "is odd"


def test_a_retired_assets_alerts_end_with_the_reason_in_the_readers_words() -> None:
    resolution = retired_resolution("设备报废")
    assert resolution == "retired: 设备报废"
    assert resolution_text(resolution, "zh_CN") == "已停用:设备报废"
    assert resolution_text(resolution, "en") == "retired: 设备报废"
    # A person's own "retired", typed as a resolution, is shown as typed.
    assert resolution_text("retired", "zh_CN") == "retired"
    assert len(retired_resolution("很长的原因" * 100)) == MAX_RESOLUTION
