"""AEDs and first-aid kits: the list's filters, the bodies signed-in and anonymous
callers get (app.mapping.public_policy decides which fields the public sees)."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import PERSONAL_ONLY, Page, PageQuery, id_ref, omitted_when
from app.api.schemas.fields import (
    BBOX_PATTERN,
    Choice,
    DbId,
    JsonDate,
    JsonId,
    OneOf,
    ParsedText,
    Timestamp,
    comma_separated,
)
from app.api.schemas.registry import Flag, HoursCheck, JsonNumber, choice, flag, number, text
from app.mapping.public_policy import PUBLIC_ASSET_FIELDS, PUBLIC_SITE_FIELDS
from app.models import ASSET_KINDS, READINESS_STATUSES
from app.registry import rules

SIGNED_IN_ONLY = "Signed-in callers only."
#: Personal data: only for those who may see it (app.auth.permissions).
GUARDIAN_FIELDS = rules.PERSONAL_ASSET_FIELDS
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
    include_retired: bool = Field(False, description="Retired assets too (signed-in "
                                  "callers; never for the public).")
    q: str | None = Field(None, max_length=100, description="Text in name or id.")
    bbox: Annotated[Box, ParsedText(lon_lat_box, {"type": "string", "pattern": BBOX_PATTERN})
                    ] | None = Field(None, description="minLon,minLat,maxLon,maxLat (WGS-84).")


AssetRef = id_ref("asset")


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


def _asset_omissions(schema: dict[str, Any]) -> None:
    omitted_when(PERSONAL_ONLY, GUARDIAN_FIELDS.__contains__)(schema)
    omitted_when(SIGNED_IN_ONLY, lambda name: name not in PUBLIC_ASSET_FIELDS
                 and name not in GUARDIAN_FIELDS)(schema)


class Asset(AssetSummary):
    """One AED or kit. Anonymous callers get only the public fields, and only of a public
    asset in service (any other answers 404, as a missing one); the guardian is for
    coordinators and admins only."""

    model_config = ConfigDict(json_schema_extra=_asset_omissions)

    manufacturer: str | None
    model: str | None
    serial: str | None
    cabinet: str | None = Field(description="Where it hangs, in Chinese (OSM "
                                "defibrillator:location), e.g. 东侧入口柜内.")
    cabinet_en: str | None = Field(description="Where it hangs, in English.")
    level: str | None = Field(description="Floor, as OSM's level (0: ground floor).")
    indoor: bool
    public: bool
    install_date: date | None
    paediatric_pads: bool
    paediatric_pad_expiry: date | None
    access_hours_check: HoursCheck | None = Field(
        description="Whether access_hours is understood (null when there are none).")
    guardian_name: str | None
    guardian_phone: str | None
    device: str | None = Field(description="The bound device as gateway/device.")
    photo_url: str | None = Field(description="The registry's photo (signed-in pages).")
    maintenance_until: Timestamp | None
    in_use_since: Timestamp | None
    status_changed_at: Timestamp | None
    retired_at: Timestamp | None = Field(description="Out of service for good since.")
    retired_reason: str | None


class _AssetFields(BaseModel):
    """An AED's or kit's fields as sent: a member left out stays as it is (a new asset:
    empty; ``public`` yes); null empties it."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = text(rules.MAX_EXTERNAL_ID,
                                   "Registry id, unique (a new asset without one gets one).")
    kind: str | None = choice(ASSET_KINDS, "aed (default) or first_aid_kit.")
    name_en: str | None = text(rules.MAX_NAME)
    lat: JsonNumber | None = number(-90, 90, "WGS-84 (a new asset without a position "
                                    "takes its site's).")
    lon: JsonNumber | None = number(-180, 180, "WGS-84.")
    indoor: Flag = flag("Indoors.")
    level: str | None = text(rules.MAX_LEVEL, "Floor, as OSM's level (0: ground floor).")
    cabinet: str | None = text(rules.MAX_NAME, "Where it hangs, in Chinese.")
    cabinet_en: str | None = text(rules.MAX_NAME, "Where it hangs, in English.")
    access_hours: str | None = text(rules.MAX_HOURS, "OSM opening_hours; a value that is "
                                    "not understood is kept and shows as unknown.")
    public: Flag = flag("On the public map (default yes).")
    guardian_name: str | None = text(rules.MAX_PERSON, "Personal data.")
    guardian_phone: str | None = text(rules.MAX_PHONE, "Personal data.")
    manufacturer: str | None = text(rules.MAX_MAKER)
    model: str | None = text(rules.MAX_MAKER)
    serial: str | None = text(rules.MAX_MAKER)
    install_date: JsonDate | None = None
    pad_expiry: JsonDate | None = None
    battery_expiry: JsonDate | None = None
    paediatric_pads: Flag = flag("Has child pads.")
    paediatric_pad_expiry: JsonDate | None = None
    device: str | None = text(130, "Bind to this device, as gateway/device (null: unbind).")


class NewAsset(_AssetFields):
    """A new AED or kit at a site."""

    site_id: JsonId
    name: str = Field(description="Name in Chinese.",
                      json_schema_extra={"maxLength": rules.MAX_NAME, "pattern": r"\S"})


class AssetChanges(_AssetFields):
    """What to change of an asset: only the members sent."""

    site_id: JsonId | None = Field(None, description="Move it to this site.")
    name: str | None = text(rules.MAX_NAME, "Name in Chinese.", required=True)


class AssetPage(Page[AssetSummary]):
    pass
