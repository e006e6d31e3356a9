"""The map endpoints: nearest AEDs to a position, and map records in a viewport. Their
bodies are maps.payload's; these models describe them."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from app.api.schemas.common import among, omitted_when
from app.api.schemas.fields import BBOX_PATTERN, Choice, OneOf, comma_separated
from app.models import READINESS_STATUSES
from maps.payload import FIELDS, MAX_FEATURES, Coords, parse_bbox
from maps.records import KINDS

MAX_NEAREST = 50
View = Literal["public", "internal"]
_VIEW = "public: only what the public map shows."


class NearestQuery(BaseModel):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False,
                       description="Latitude, WGS-84 (a phone's GPS).")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="Longitude, WGS-84.")
    n: int = Field(3, ge=1, le=MAX_NEAREST, description="How many.")
    status: Annotated[Choice, comma_separated(
        READINESS_STATUSES, "Comma-separated readiness statuses, e.g. ready.")] | None = None
    coords: Coords = Field("wgs84", description="gcj02 adds map_lat/map_lon for a GCJ-02 map.")
    view: View | None = Field(None, description=_VIEW)


class NearestAed(BaseModel):
    """``open_now`` is null when the access hours are unknown; ``link`` is empty for
    anonymous callers (no internal pages)."""

    model_config = ConfigDict(json_schema_extra=omitted_when(
        "With coords=gcj02 only.", among({"map_lat", "map_lon"})))

    id: str
    label: str
    lat: float
    lon: float
    distance_m: float = Field(ge=0)
    open_now: bool | None
    link: str
    status: Annotated[str, OneOf(READINESS_STATUSES)]
    location: str = Field(description="Where exactly it is (OSM defibrillator:location), "
                          "in the reader's language; empty when not recorded.")
    map_lat: float
    map_lon: float


class NearestAeds(RootModel[list[NearestAed]]):
    """Nearest first."""


#: WGS-84 (min_lat, min_lon, max_lat, max_lon), as maps.payload.parse_bbox gives it.
LatLonBox = tuple[float, float, float, float]


class MapFeaturesQuery(BaseModel):
    # Before bbox: the box is read in these coordinates.
    coords: Coords = Field("wgs84", description="Datum of bbox and rows.")
    bbox: Annotated[LatLonBox, WithJsonSchema(
        {"type": "string", "maxLength": 200, "pattern": BBOX_PATTERN})] = Field(
        description="minLon,minLat,maxLon,maxLat (in coords).")
    kind: Annotated[Choice, comma_separated(
        KINDS, "Comma-separated: aed, station, gateway (default all).")] | None = None
    zoom: int | None = Field(None, ge=0, le=30, description="Map zoom.")
    view: View | None = Field(None, description=_VIEW)

    @field_validator("bbox", mode="before")
    @classmethod
    def _read_box(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or len(value) > 200:
            raise ValueError("must be minLon,minLat,maxLon,maxLat")
        try:
            return parse_bbox(_corners_in_order(value), info.data.get("coords", "wgs84"))
        except ValueError as exc:
            raise ValueError(f"is not a box ({exc})") from None


def _corners_in_order(raw: str) -> str:
    """Corners in either order, as /assets?bbox= takes them (the document cannot say
    min <= max); anything that is not four numbers is left for parse_bbox to refuse."""
    parts = raw.split(",")
    if len(parts) != 4:
        return raw
    try:
        lon1, lat1, lon2, lat2 = (float(p) for p in parts)
    except ValueError:
        return raw
    if not all(math.isfinite(v) for v in (lon1, lat1, lon2, lat2)):
        return raw  # min()/max() would silently drop a NaN
    return ",".join(repr(v) for v in (min(lon1, lon2), min(lat1, lat2),
                                      max(lon1, lon2), max(lat1, lat2)))


class MapFeatures(BaseModel):
    """Compact rows (see maps/payload.py): at most 5,000, most urgent first when capped,
    under 1 MB."""

    v: Literal[2]
    coords: Coords
    fields: list[Annotated[str, OneOf(FIELDS)]]
    link_prefix: str
    hours_window: dict[str, int] = Field(
        description="from/to: Unix ms of the window hours are given for; ahead: minutes "
        "within which opening and closing times are looked for.")
    hours: list[list[Any]] = Field(
        description="Per distinct value: [text, open minutes from hours_window.from or "
        "null (cannot be evaluated), unknown minutes (when any)].")
    rows: list[Annotated[list[Any], Field(min_length=5)]] = Field(max_length=MAX_FEATURES)
    total: int = Field(ge=0)
    truncated: bool
