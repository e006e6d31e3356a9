"""AEDs and first-aid kits: the list's filters, the bodies signed-in and anonymous
callers get (app.mapping.public_policy decides which fields the public sees)."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import (
    BBOX_PATTERN,
    Choice,
    DbId,
    OneOf,
    Page,
    PageQuery,
    ParsedText,
    PathRef,
    Timestamp,
    comma_separated,
    omitted_when,
)
from app.mapping.public_policy import PUBLIC_ASSET_FIELDS, PUBLIC_SITE_FIELDS
from app.models import ASSET_KINDS, READINESS_STATUSES

SIGNED_IN_ONLY = "Signed-in callers only."
Box = tuple[float, float, float, float]


def lon_lat_box(raw: str) -> Box:
    """``minLon,minLat,maxLon,maxLat`` in WGS-84, as (min_lon, min_lat, max_lon, max_lat).
    Map clients send corners in either order and past the antimeridian when zoomed out:
    normalised instead of refused."""
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in raw.split(","))
    except ValueError:
        raise ValueError("must be minLon,minLat,maxLon,maxLat") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValueError("must be four finite numbers")
    lons = sorted((max(-180.0, min(180.0, min_lon)), max(-180.0, min(180.0, max_lon))))
    lats = sorted((max(-90.0, min(90.0, min_lat)), max(-90.0, min(90.0, max_lat))))
    return lons[0], lats[0], lons[1], lats[1]


class AssetQuery(PageQuery):
    limit: int = Field(500, ge=1, le=5000, description="Page size.")
    kind: Annotated[Choice, comma_separated(ASSET_KINDS, "Comma-separated kinds.")] | None = None
    status: Annotated[Choice, comma_separated(
        READINESS_STATUSES, "Comma-separated readiness statuses.")] | None = None
    site_id: DbId | None = Field(None, description="Only this site.")
    team_id: DbId | None = Field(None, description="Only sites of this team.")
    monitored: bool | None = Field(None, description="Has a gateway device.")
    q: str | None = Field(None, max_length=100, description="Text in name or id.")
    bbox: Annotated[Box, ParsedText(lon_lat_box, {"type": "string", "pattern": BBOX_PATTERN})
                    ] | None = Field(None, description="minLon,minLat,maxLon,maxLat (WGS-84).")


class AssetRef(PathRef):
    noun = "asset"
    asset_id: DbId


class AssetSite(BaseModel):
    model_config = ConfigDict(json_schema_extra=omitted_when(
        SIGNED_IN_ONLY, lambda name: name not in PUBLIC_SITE_FIELDS))

    id: int
    name: str
    name_en: str | None


class AssetSummary(BaseModel):
    """An AED or kit in a list. Anonymous callers get only the public fields."""

    model_config = ConfigDict(json_schema_extra=omitted_when(
        SIGNED_IN_ONLY, lambda name: name not in PUBLIC_ASSET_FIELDS))

    id: int
    external_id: str
    kind: Annotated[str, OneOf(ASSET_KINDS)]
    name: str
    name_en: str | None
    site: AssetSite
    lat: float
    lon: float
    status: Annotated[str, OneOf(READINESS_STATUSES)]
    status_reasons: list[str]
    pad_expiry: date | None
    battery_expiry: date | None
    last_inspection_at: Timestamp | None
    access_hours: str | None
    monitored: bool


class Asset(AssetSummary):
    """One AED or kit. Anonymous callers get only the public fields, and only of a public
    asset (any other answers 404, as a missing one)."""

    manufacturer: str | None
    model: str | None
    serial: str | None
    cabinet: str | None
    indoor: bool
    public: bool
    maintenance_until: Timestamp | None
    in_use_since: Timestamp | None
    status_changed_at: Timestamp | None


class AssetPage(Page[AssetSummary]):
    pass
