"""The public AED feed (app/feeds): its query and its GeoJSON and CSV bodies. The bodies
are written by app/feeds/formats.py; these models describe them (docs/api.md, "For
platforms", has the field-by-field table against OSM tags)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from app.api.schemas.fields import Timestamp
from app.config import MAX_FEED_PAGE
from app.feeds.record import PUBLIC_STATUSES

_STRICT = ConfigDict(extra="forbid", populate_by_name=True)
PublicStatus = Literal["ready", "not_ready", "unknown", "in_use"]
assert set(PublicStatus.__args__) == set(PUBLIC_STATUSES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = _STRICT


class PublicFeedQuery(BaseModel):
    updated_since: str | None = Field(None, max_length=64, description=(
        "Only AEDs whose public record changed at or after this moment, tombstones of "
        "those that left the feed included. ISO 8601 with its offset: "
        "2026-11-29T10:00:00%2B08:00 or 2026-11-29T02:00:00Z."))
    cursor: str | None = Field(None, max_length=200, description=(
        "Where this page starts: take the next link as it is."))


class Point(_Strict):
    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2,
                                     description="[longitude, latitude], WGS-84.")


class AedProperties(_Strict):
    """OSM tags of ``emergency=defibrillator``, ``aed:`` tags, the feed's state."""

    ref: str = Field(description="The registry's id of the AED.")
    emergency: Literal["defibrillator"]
    name: str
    name_en: str | None = Field(alias="name:en")
    opening_hours: str | None = Field(description="OSM opening_hours syntax.")
    indoor: Literal["yes", "no"]
    level: str | None = Field(description="Floor: 0 ground, -1 basement.")
    access: Literal["yes"]
    location: str | None = Field(alias="defibrillator:location",
                                 description="In the local language (Chinese).")
    location_zh: str | None = Field(alias="defibrillator:location:zh")
    location_en: str | None = Field(alias="defibrillator:location:en")
    phone: None = Field(description="Never set: the registry holds no public phone.")
    operator: str | None = Field(description="The Red Cross branch of the AED's site.")
    check_date: date | None = Field(description="Last inspection (local date).")
    pad_expiry: date | None = Field(alias="aed:pad_expiry")
    battery_expiry: date | None = Field(alias="aed:battery_expiry")
    status: PublicStatus
    open_now: bool | None = Field(description="Null when the hours are unknown.")
    available_now: bool | None = Field(description="Ready and open now.")
    updated_at: Timestamp = Field(description="When this record last changed.")


class _Feature(_Strict):
    type: Literal["Feature"]
    id: int = Field(description="The feed's id of the AED, stable.")


class AedFeature(_Feature):
    geometry: Point
    properties: AedProperties


class RemovedProperties(_Strict):
    retired: Literal[True]
    updated_at: Timestamp = Field(description="When it left the feed.")


class RemovedFeature(_Feature):
    """A tombstone (deltas only): the AED left the feed; remove it."""

    geometry: None
    properties: RemovedProperties


class Licence(_Strict):
    name: str = Field(description="SPDX id, e.g. ODbL-1.0.")
    url: str | None


class PublicAeds(_Strict):
    """A GeoJSON FeatureCollection; ``next`` links the following page (also in the
    ``Link`` header)."""

    type: Literal["FeatureCollection"]
    licence: Licence
    attribution: str
    features: list[AedFeature | RemovedFeature] = Field(max_length=MAX_FEED_PAGE)
    next: str | None


class PublicAedsCsv(RootModel[str]):
    """CSV with a header line: id, lon, lat, the GeoJSON properties, retired."""
