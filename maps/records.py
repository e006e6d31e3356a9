"""Plain map records: what the app hands to the map builder.

Positions are always WGS-84 here; tile providers that need GCJ-02 get converted positions
at render time (see :mod:`maps.tiles`). ``public`` marks a record as shown on the public map;
:func:`public_view` drops the fields a public page must not carry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Kind = Literal["aed", "station", "gateway"]

KINDS: tuple[Kind, ...] = ("aed", "station", "gateway")


@dataclass(frozen=True, slots=True)
class MapRecord:
    """One thing on the map.

    ``id`` is unique within its kind. ``status`` is the caller's code, drawn as the
    legend given to the builder says (this library knows no status names). ``link`` is
    the URL of the asset's own page. ``access_hours`` is an OSM-style opening_hours
    string (see :mod:`maps.hours`); empty means unknown. ``contact`` holds non-public
    text (a volunteer's name or phone) that only the internal map shows.
    """

    id: str
    kind: Kind
    lat: float
    lon: float
    status: str
    label: str
    link: str = ""
    pad_expiry: date | None = None
    battery_expiry: date | None = None
    last_check: datetime | date | None = None
    access_hours: str = ""
    description: str = ""
    contact: str = ""
    public: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"position out of range: {self.lat}, {self.lon}")


#: Fields a public page never shows.
PRIVATE_FIELDS: tuple[str, ...] = ("contact",)


def public_view(records: list[MapRecord]) -> list[MapRecord]:
    """Keep only public records, with non-public fields blanked."""
    blank: dict[str, object] = {name: "" for name in PRIVATE_FIELDS}
    return [dataclasses.replace(r, **blank) for r in records if r.public]  # type: ignore[arg-type]
