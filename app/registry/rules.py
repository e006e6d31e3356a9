"""The one validator of the registry: what a site's or an asset's fields may hold.

The web forms, the API and the CSV/GeoJSON import all hand their input here: form text,
JSON values or file cells alike (``"31.25"`` and ``31.25``, ``"yes"`` and ``true``,
``"2027-01-31"`` and a date). Out come typed records (:class:`SiteRecord`,
:class:`AssetRecord`), or :class:`RegistryInvalid` with every problem at once, one
:class:`FieldError` per field. An edit is checked as the whole record it makes (the
current values with the changes applied), so a rule that joins two fields holds after
any edit.

References to other rows (the asset's site, the site's team, the device an AED is bound
to) and uniqueness are the database's to answer: :mod:`app.registry.operations` checks
those and reports them the same way.

Access hours that are not understood are no error: the value is kept (the map shows the
AED's hours as unknown) and a warning with the reason goes back to whoever typed it.

Messages are English predicates ("must be between -90 and 90"): the API puts one in an
``invalid-params`` entry's ``reason`` beside the field's name, the import report writes
"lat must be between -90 and 90" for the line, and the web form shows the words of
:mod:`app.registry.words` for the error's ``code`` beside the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from dataclasses import field as _field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from app.models import ASSET_KINDS, SITE_KINDS
from maps.hours import check_hours

#: Longest texts, as the columns hold them.
MAX_NAME = 200
MAX_EXTERNAL_ID = 100
MAX_ADDRESS = 300
MAX_HOURS = 200
MAX_PERSON = 100
MAX_PHONE = 40
MAX_MAKER = 100
MAX_LEVEL = 20
MAX_REASON = 500
#: Dates outside these years are typing slips (an expiry in 2206, an install in 1926).
FIRST_YEAR, LAST_YEAR = 1990, 2100
_TRUE = frozenset({"1", "true", "yes", "y", "是", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "否", "off"})


_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``field`` is the record's, the API's and the import's
    name for it; ``code`` picks the form's words (app/registry/words.py); ``message`` is
    an English predicate with %(name)s placeholders, filled from ``params``."""

    field: str
    code: str
    message: str
    params: Mapping[str, Any] = _field(default_factory=lambda: _NO_PARAMS)

    @property
    def sentence(self) -> str:
        """"lat must be between -90 and 90": the import report's words."""
        return f"{self.field} {self.reason}"

    @property
    def reason(self) -> str:
        # No message holds a bare "%": it is always filled, even without parameters.
        return self.message % dict(self.params)


class RegistryInvalid(ValueError):
    """Nothing was changed; ``errors`` says what to correct, field by field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(e.sentence for e in errors))
        self.errors = tuple(errors)


class _Bad(Exception):
    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.message, self.params = code, message, params


Parser = Callable[[Any], Any]


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:30] + "…"


def text(max_len: int = MAX_NAME, required: bool = False) -> Parser:
    """Text, trimmed; empty is None (or "is required")."""

    def parse(raw: Any) -> str | None:
        if raw is None:
            raw = ""
        if isinstance(raw, dict | list):  # GeoJSON properties, JSON bodies
            raise _Bad("not_text", "must be text, not %(what)s",
                       what="a list" if isinstance(raw, list) else "an object")
        value = str(raw).strip()
        if not value:
            if required:
                raise _Bad("required", "is required")
            return None
        if len(value) > max_len:
            raise _Bad("too_long", "is longer than %(max)d characters", max=max_len)
        if "\x00" in value:  # PostgreSQL refuses NUL in text (JSON can say \u0000)
            raise _Bad("nul", "contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as JSON's "\ud800"
            raise _Bad("surrogate", "contains an invalid character (a lone surrogate)") from None
        return value

    return parse


def number(lo: float, hi: float) -> Parser:
    """A finite number between ``lo`` and ``hi`` (required)."""

    def parse(raw: Any) -> float:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise _Bad("required", "is required")
        if isinstance(raw, bool | dict | list):
            raise _Bad("not_number", "is not a number: %(shown)s", shown=_shown(raw))
        try:
            value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
        except (TypeError, ValueError, OverflowError):
            raise _Bad("not_number", "is not a number: %(shown)s", shown=_shown(raw)) from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise _Bad("out_of_range", "must be between %(lo)s and %(hi)s", lo=lo, hi=hi)
        return value

    return parse


def boolean(default: bool) -> Parser:
    """Yes or no (true/false, 1/0, 是/否); empty is ``default``."""
    as_text = text(max_len=10)

    def parse(raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        value = as_text(raw)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _Bad("not_yes_no", "must be yes or no: %(shown)s", shown=_shown(value))

    return parse


def day(raw: Any) -> date | None:
    """A calendar date (YYYY-MM-DD), or None."""
    if isinstance(raw, datetime):
        raise _Bad("not_date", "is not a date (YYYY-MM-DD): %(shown)s", shown=_shown(str(raw)))
    if isinstance(raw, date):
        value = raw
    else:
        typed = text(max_len=20)(raw)
        if typed is None:
            return None
        try:
            value = date.fromisoformat(typed)
        except ValueError:
            raise _Bad("not_date", "is not a date (YYYY-MM-DD): %(shown)s",
                       shown=_shown(typed)) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _Bad("date_out_of_range", "must be a date between %(first)d and %(last)d",
                   first=FIRST_YEAR, last=LAST_YEAR)
    return value


def choice(allowed: Sequence[str], default: str) -> Parser:
    as_text = text(max_len=40)

    def parse(raw: Any) -> str:
        value = as_text(raw) or default
        if value not in allowed:
            raise _Bad("not_a_choice", "must be one of %(choices)s", choices=", ".join(allowed))
        return value

    return parse


@dataclass(frozen=True)
class SiteRecord:
    """A site's own fields (its team is a reference: app.registry.operations)."""

    name: str
    name_en: str | None
    lat: float
    lon: float
    external_id: str
    kind: str
    opening_hours: str | None
    address: str | None
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True)
class AssetRecord:
    """An AED's or a kit's own fields (its site and device are references)."""

    external_id: str
    kind: str
    name: str
    name_en: str | None
    lat: float
    lon: float
    indoor: bool
    level: str | None
    cabinet: str | None
    cabinet_en: str | None
    access_hours: str | None
    public: bool
    guardian_name: str | None
    guardian_phone: str | None
    manufacturer: str | None
    model: str | None
    serial: str | None
    install_date: date | None
    pad_expiry: date | None
    battery_expiry: date | None
    paediatric_pads: bool
    paediatric_pad_expiry: date | None


#: What sites and assets share: the registry id, the names (Chinese, English) and the
#: WGS-84 position.
_IDENTITY: dict[str, Parser] = {"external_id": text(MAX_EXTERNAL_ID, required=True),
                                "name": text(MAX_NAME, required=True),
                                "name_en": text(MAX_NAME)}
_POSITION: dict[str, Parser] = {"lat": number(-90, 90), "lon": number(-180, 180)}
#: In the order problems are reported.
SITE_RULES: dict[str, Parser] = {
    **_IDENTITY,
    "kind": choice(SITE_KINDS, "other"),
    "address": text(MAX_ADDRESS),
    **_POSITION,
    "opening_hours": text(MAX_HOURS),
    "contact_name": text(MAX_PERSON),
    "contact_phone": text(MAX_PHONE),
}
ASSET_RULES: dict[str, Parser] = {
    **_IDENTITY,
    "kind": choice(ASSET_KINDS, "aed"),
    **_POSITION,
    "indoor": boolean(False),
    "level": text(MAX_LEVEL),
    "cabinet": text(MAX_NAME),
    "cabinet_en": text(MAX_NAME),
    "access_hours": text(MAX_HOURS),
    "public": boolean(True),
    "guardian_name": text(MAX_PERSON),
    "guardian_phone": text(MAX_PHONE),
    "manufacturer": text(MAX_MAKER),
    "model": text(MAX_MAKER),
    "serial": text(MAX_MAKER),
    "install_date": day,
    "pad_expiry": day,
    "battery_expiry": day,
    "paediatric_pads": boolean(False),
    "paediatric_pad_expiry": day,
}
#: Personal data: coordinators and admins only, never public.
PERSONAL_ASSET_FIELDS = frozenset({"guardian_name", "guardian_phone"})
PERSONAL_SITE_FIELDS = frozenset({"contact_name", "contact_phone"})
#: Which field holds the access hours of each kind of record.
HOURS_FIELD = {SiteRecord: "opening_hours", AssetRecord: "access_hours"}

R = TypeVar("R", SiteRecord, AssetRecord)


@dataclass(frozen=True)
class Checked(Generic[R]):
    record: R
    #: Problems that do not stop the change (hours not understood: kept as typed).
    warnings: tuple[FieldError, ...] = ()


def _parse(rules: Mapping[str, Parser], raw: Mapping[str, Any]
           ) -> tuple[dict[str, Any], list[FieldError]]:
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, parse in rules.items():
        try:
            values[name] = parse(raw.get(name))
        except _Bad as bad:
            errors.append(FieldError(name, bad.code, bad.message, bad.params))
    return values, errors


def _hours_warning(name: str, value: str | None) -> list[FieldError]:
    if value is None:
        return []
    check = check_hours(value)
    if check.valid:
        return []
    return [FieldError(name, "hours_unknown",
                       "is not understood as opening hours (%(why)s): kept as typed, "
                       "and shown as unknown", {"why": check.reason or "unknown format"})]


def check_site(raw: Mapping[str, Any]) -> Checked[SiteRecord]:
    """A site from what was typed or sent (a field left out is empty)."""
    values, errors = _parse(SITE_RULES, raw)
    if errors:
        raise RegistryInvalid(errors)
    record = SiteRecord(**values)
    return Checked(record, tuple(_hours_warning("opening_hours", record.opening_hours)))


def check_asset(raw: Mapping[str, Any], today: date | None = None) -> Checked[AssetRecord]:
    """An AED or kit from what was typed or sent (a field left out is empty, ``public``
    yes). With ``today``, an install date may not lie after it."""
    values, errors = _parse(ASSET_RULES, raw)
    installed = values.get("install_date")
    if today is not None and installed is not None and installed > today:
        errors.append(FieldError("install_date", "in_future",
                                 "must not be after today (%(today)s)",
                                 {"today": today.isoformat()}))
    if values.get("paediatric_pad_expiry") is not None and values.get("paediatric_pads") is False:
        errors.append(FieldError("paediatric_pad_expiry", "no_child_pads",
                                 "needs paediatric_pads: the AED has child pads"))
    if errors:
        raise RegistryInvalid(sorted(errors, key=_order(ASSET_RULES)))
    record = AssetRecord(**values)
    return Checked(record, tuple(_hours_warning("access_hours", record.access_hours)))


def _order(rules: Mapping[str, Parser]) -> Callable[[FieldError], int]:
    position = {name: i for i, name in enumerate(rules)}
    return lambda e: position.get(e.field, len(position))


def check_text(name: str, raw: Any, max_len: int, required: bool = False) -> str | None:
    """One text value by the rules of text fields (a reference's external id, a reason)."""
    try:
        value: str | None = text(max_len, required)(raw)
    except _Bad as bad:
        raise RegistryInvalid([FieldError(name, bad.code, bad.message, bad.params)]
                              ) from None
    return value


def check_retire_reason(raw: Any) -> str:
    """Why an asset or a site is retired: required text."""
    return str(check_text("reason", raw, MAX_REASON, required=True))


def record_values(record: SiteRecord | AssetRecord) -> dict[str, Any]:
    return asdict(record)


def with_changes(record: R, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The whole record an edit makes, as input for the check: the current values with
    the changes over them (unknown names are left out)."""
    names = {f.name for f in fields(record)}
    return {**asdict(record), **{k: v for k, v in changes.items() if k in names}}


def changed(before: R, after: R) -> dict[str, tuple[Any, Any]]:
    """Field -> (old, new) of what differs."""
    old, new = asdict(before), asdict(after)
    return {k: (old[k], new[k]) for k in new if old[k] != new[k]}
