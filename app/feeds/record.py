"""The public record of an AED: what the feed tells platforms, as OpenStreetMap tags
where OSM has one (``emergency=defibrillator``, ``opening_hours``, ``indoor``, ``level``,
``access``, ``defibrillator:location`` with ``:zh`` and ``:en``, ``phone``,
``operator``, ``check_date``), ``aed:`` tags for facts OSM has none for (as the
registry's GeoJSON export writes them), and the feed's own state: ``status``,
``open_now``, ``available_now``, ``updated_at``.

Who sees an AED is the public policy's (app/mapping/public_policy.py) with two
conditions of the feed's: its site is in service, and its position is real (a demo
site is fictional and never goes to a platform). Nothing here reads a person: no
guardian, no contact. ``phone`` stays empty: the registry holds only contacts' phones,
and those are personal data. ``operator`` is the Red Cross branch the site belongs to.

Rows are read with one Core select (no ORM objects): 10,000 AEDs a page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, func, select, type_coerce

from app.aeds.facts import effective_battery_expiry, effective_pad_expiry
from app.mapping.public_policy import public_asset_clause
from app.mapping.statuses import AED
from app.models import Asset, DeviceState, Organisation, Site
from maps.hours import open_state

#: The feed's statuses. The evaluation's "attention" (something expires within its lead
#: time, a check falls due) is an AED that works now: ready.
PUBLIC_STATUSES = ("ready", "not_ready", "unknown", "in_use")
_PUBLIC_STATUS = {"ready": "ready", "attention": "ready", "not_ready": "not_ready",
                  "in_use": "in_use", "unknown": "unknown"}


def public_status(code: str | None) -> str:
    """The feed's status of an AED whose evaluation said ``code`` (an unknown code is
    "unknown", as everywhere: app/mapping/statuses.py)."""
    return _PUBLIC_STATUS[AED.get(code).code]


def in_feed() -> ColumnElement[bool]:
    """Whether the feed shows an asset (joined with its site)."""
    return and_(Asset.kind == "aed", public_asset_clause(), Site.retired_at.is_(None),
                Site.is_fictional.is_(False))


@dataclass(frozen=True, slots=True)
class PublicAed:
    """One AED as the feed shows it (the same for every reader)."""

    id: int
    ref: str
    name: str
    name_en: str | None
    lat: float
    lon: float
    opening_hours: str | None
    indoor: bool
    level: str | None
    location_zh: str | None
    location_en: str | None
    operator: str | None
    status: str
    check_date: date | None
    pad_expiry: date | None
    battery_expiry: date | None

    def digest(self) -> str:
        """Changes exactly when the record does."""
        return _digest(astuple(self))

    def push_digest(self) -> str:
        """Changes when what platforms are pushed changes: status, hours or position."""
        return _digest((self.status, self.opening_hours, self.lat, self.lon))


def _digest(values: tuple[Any, ...]) -> str:
    text = json.dumps(values, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


# --- reading --------------------------------------------------------------------------

def _raw(column: Any) -> Any:
    # SQLite hands dates and moments back as ISO text; reading them as text and parsing
    # only what is there costs a fraction of the column types' processing per value.
    return type_coerce(column, String)


_RECORD_COLUMNS: tuple[Any, ...] = (
    Asset.id, Asset.external_id, Asset.name, Asset.name_en, Asset.lat, Asset.lon,
    func.coalesce(Asset.access_hours, Site.opening_hours), Asset.indoor, Asset.level,
    Asset.cabinet, Asset.cabinet_en, Organisation.name, Asset.status,
    _raw(Asset.last_inspection_at), _raw(Asset.pad_expiry), _raw(DeviceState.pad_expiry),
    Asset.paediatric_pads, _raw(Asset.paediatric_pad_expiry), _raw(Asset.battery_expiry),
    _raw(DeviceState.battery_expiry),
)
#: Where the record's columns end in a row of :func:`record_select`.
RECORD_WIDTH = len(_RECORD_COLUMNS)


def record_select(*more: Any) -> Select[Any]:
    """The record's columns, then whether the feed shows it (``shown``), then ``more``."""
    return (
        select(*_RECORD_COLUMNS, in_feed().label("shown"), *more)
        .select_from(Asset)
        .join(Site, Site.id == Asset.site_id)
        .outerjoin(Organisation, Organisation.id == Site.organisation_id)
        .outerjoin(DeviceState, DeviceState.device_pk == Asset.device_pk)
    )


def moment(value: Any) -> datetime | None:
    """A stored moment as aware UTC (SQLite: naive ISO text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def public_aed(row: Any, tz: tzinfo) -> PublicAed:
    """The record of a row of :func:`record_select`; ``tz`` dates the last check."""
    (aid, ref, name, name_en, lat, lon, hours, indoor, level, cabinet, cabinet_en, operator,
     status, inspected, pad, device_pad, child_pads, child_pad, battery,
     device_battery) = row[:RECORD_WIDTH]
    checked = moment(inspected)
    return PublicAed(
        aid, ref, name, name_en, lat, lon, hours, bool(indoor), level, cabinet, cabinet_en,
        operator, public_status(status), checked.astimezone(tz).date() if checked else None,
        effective_pad_expiry(_day(pad), _day(device_pad), bool(child_pads), _day(child_pad)),
        effective_battery_expiry(_day(battery), _day(device_battery)),
    )


# --- writing --------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def utc_text(value: datetime | None) -> str | None:
    # Cached: a writer's batch stamps many records with the same moment.
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _osm_bool(value: bool) -> str:
    return "yes" if value else "no"


def available(status: str, open_now: bool | None) -> bool | None:
    """Ready and open, in three values: false when either is false, unknown (None) when
    either is unknown."""
    if open_now is False or status not in ("ready", "unknown"):
        return False
    if status == "unknown" or open_now is None:
        return None
    return True


#: Open or not at one moment, per opening-hours value (None: unknown or not given).
OpenAt = Callable[[str | None], bool | None]


def opening_at(at: datetime) -> OpenAt:
    """A memo of ``open_state`` at ``at``: a page of 10,000 AEDs holds few hours values."""
    seen: dict[str | None, bool | None] = {None: None}

    def open_now(hours: str | None) -> bool | None:
        if hours not in seen:
            seen[hours] = open_state(hours or "", at).open
        return seen[hours]

    return open_now


def properties(aed: PublicAed, open_now: bool | None, updated_at: datetime | None
               ) -> dict[str, Any]:
    """The feature's properties, every key always there (null when unknown)."""
    return {
        "ref": aed.ref,
        "emergency": "defibrillator",
        "name": aed.name,
        "name:en": aed.name_en,
        "opening_hours": aed.opening_hours,
        "indoor": _osm_bool(aed.indoor),
        "level": aed.level,
        # Only AEDs the registry publishes for anyone to use are in the feed.
        "access": "yes",
        # OSM's plain key is in the local language.
        "defibrillator:location": aed.location_zh or aed.location_en,
        "defibrillator:location:zh": aed.location_zh,
        "defibrillator:location:en": aed.location_en,
        "phone": None,
        "operator": aed.operator,
        # Dates as they are: orjson and csv write them as ISO 8601 (YYYY-MM-DD).
        "check_date": aed.check_date,
        "aed:pad_expiry": aed.pad_expiry,
        "aed:battery_expiry": aed.battery_expiry,
        "status": aed.status,
        "open_now": open_now,
        "available_now": available(aed.status, open_now),
        "updated_at": utc_text(updated_at),
    }


#: Property names, in order (the CSV's columns after id, lon and lat).
PROPERTY_NAMES = tuple(properties(
    PublicAed(0, "", "", None, 0.0, 0.0, None, False, None, None, None, None, "unknown",
              None, None, None), None, None))


def feature(aed: PublicAed, open_now: bool | None, updated_at: datetime | None
            ) -> dict[str, Any]:
    return {"type": "Feature", "id": aed.id,
            "geometry": {"type": "Point", "coordinates": [aed.lon, aed.lat]},
            "properties": properties(aed, open_now, updated_at)}


def tombstone(asset_id: int, updated_at: datetime | None) -> dict[str, Any]:
    """An AED that left the feed (retired, its site closed, no longer published): remove
    it. Nothing of it is told but its id and when it left."""
    return {"type": "Feature", "id": asset_id, "geometry": None,
            "properties": {"retired": True, "updated_at": utc_text(updated_at)}}
