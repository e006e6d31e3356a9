"""The one validator of the training programme's fields: what a responder's and a
course's fields may hold, for the web forms, the API and the attendee import alike.

Input is what was typed, sent or found in a file cell (``"2026-03-01"``, a date, an
Excel date, ``13800138000`` as a number). Each reader returns the typed value or raises
:class:`FieldProblem`; a record's checks collect every problem at once, one
:class:`FieldError` per field. Messages are English with ``%(name)s`` placeholders,
marked for translation: the web page shows them translated beside the field, the API
puts them in ``invalid-params``, the import report writes them for the line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.i18n.marked import N_, Marked
from app.models import COURSE_TYPES, OUTREACH_SETTINGS, SERVICE_ROLES, TRAINING_BASES

#: Largest database id (PostgreSQL integer).
MAX_ID = 2**31 - 1
MAX_NAME = 100
MAX_PHONE = 40
MAX_CERTIFICATE = 50
MAX_PLACE = 200
MAX_TRAINER = 100
MAX_NOTES = 2000
MAX_HEADCOUNT = 100_000
#: Dates outside these years are typing slips.
FIRST_YEAR, LAST_YEAR = 1990, 2100
_PHONE_KEEP = re.compile(r"[\s\-().·]")
_PHONE = re.compile(r"\+?[0-9]{5,20}")
_CERTIFICATE = re.compile(r"[A-Z0-9][A-Z0-9\-/_.]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


@dataclass(frozen=True)
class FieldError(Marked):
    """One problem with one field (its name in the form, the API and the import)."""

    field: str
    message: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class FieldProblem(ValueError):
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class TrainingInvalid(ValueError):
    """Nothing was saved; ``errors`` says what to correct, field by field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.text}" for e in errors))
        self.errors = tuple(errors)


class Collector:
    """Reads fields one by one, keeping every problem for the end."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def read(self, name: str, reader: Any, value: Any, *args: Any) -> Any:
        try:
            return reader(value, *args)
        except FieldProblem as problem:
            self.errors.append(FieldError(name, problem.message, problem.params))
            return None

    def add(self, name: str, message: str, **params: Any) -> None:
        self.errors.append(FieldError(name, message, params))

    def check(self) -> None:
        if self.errors:
            raise TrainingInvalid(self.errors)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any, limit: int, required: bool = False) -> str | None:
    """Text on one line, spaces collapsed; numbers from a spreadsheet cell as written."""
    if _blank(value):
        if required:
            raise FieldProblem(N_("This is required."))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldProblem(N_("Must be text."))
    shown = _cell_text(value)
    if _CONTROL.search(shown):
        raise FieldProblem(N_("Must be text on one line."))
    shown = " ".join(shown.split())
    if len(shown) > limit:
        raise FieldProblem(N_("At most %(max)d characters."), max=limit)
    return shown


def _cell_text(value: str | int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 13800138000.0 from a spreadsheet cell
    return str(value)


def name(value: Any) -> str:
    shown = text(value, MAX_NAME, required=True)
    assert shown is not None
    return shown


def phone(value: Any) -> str | None:
    """A phone in the one form people are matched by: digits, a leading + kept, China's
    +86 / 0086 dropped before a mobile number."""
    shown = text(value, MAX_PHONE)
    if shown is None:
        return None
    digits = _PHONE_KEEP.sub("", shown)
    if not _PHONE.fullmatch(digits):
        raise FieldProblem(N_("Enter a phone number: digits, spaces or dashes, e.g. "
                              "138 0013 8000."))
    for prefix in ("+86", "0086"):
        rest = digits[len(prefix):]
        if digits.startswith(prefix) and len(rest) == 11 and rest.startswith("1"):
            return rest
    return digits


def certificate_number(value: Any) -> str | None:
    shown = text(value, MAX_CERTIFICATE)
    if shown is None:
        return None
    number = shown.replace(" ", "").upper()
    if not _CERTIFICATE.fullmatch(number):
        raise FieldProblem(N_("Letters, digits and - / _ . only, as printed on the "
                              "certificate."))
    return number


def day(value: Any) -> date | None:
    """A calendar day: 2026-03-01, 2026/3/1, 2026年3月1日, or a date cell."""
    if _blank(value):
        return None
    found: date | None = None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        match = _DAY.fullmatch(value.strip())
        try:
            found = date(*(int(g) for g in match.groups())) if match else None
        except ValueError:
            found = None
    if found is None:
        raise FieldProblem(N_("Enter a date as YYYY-MM-DD."))
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise FieldProblem(N_("The year must be between %(first)d and %(last)d."),
                           first=FIRST_YEAR, last=LAST_YEAR)
    return found


def whole(value: Any, low: int, high: int) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise FieldProblem(N_("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise FieldProblem(N_("Enter a whole number."))
    if not low <= value <= high:
        raise FieldProblem(N_("Enter a number from %(low)d to %(high)d."), low=low, high=high)
    return value


def one_of(value: Any, allowed: Sequence[str], required: bool = False) -> str | None:
    if _blank(value):
        if required:
            raise FieldProblem(N_("Choose one."))
        return None
    if not isinstance(value, str) or value.strip() not in allowed:
        raise FieldProblem(N_("Choose one of: %(choices)s."), choices=", ".join(allowed))
    return value.strip()


def course_type(value: Any) -> str:
    chosen = one_of(value, COURSE_TYPES, required=True)
    assert chosen is not None
    return chosen


def outreach_setting(value: Any) -> str | None:
    return one_of(value, OUTREACH_SETTINGS)


def training_base(value: Any) -> str | None:
    return one_of(value, TRAINING_BASES)


def service_role(value: Any) -> str:
    chosen = one_of(value, SERVICE_ROLES, required=True)
    assert chosen is not None
    return chosen


def notes(value: Any) -> str | None:
    """Free text over several lines."""
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise FieldProblem(N_("Must be text."))
    kept = value.strip().replace("\r\n", "\n")
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", kept):
        raise FieldProblem(N_("Must be plain text."))
    if len(kept) > MAX_NOTES:
        raise FieldProblem(N_("At most %(max)d characters."), max=MAX_NOTES)
    return kept
