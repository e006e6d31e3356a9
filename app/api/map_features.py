"""GET /api/v1/map-features: map records in a viewport, for the map page's bbox mode.

The body is maps.payload.features_payload (at most 5,000 rows and under 1 MB, the most
urgent statuses kept when capped). Public like the public map: anonymous callers (and
``view=public``) get public records without contacts or gateways.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.api import bp
from app.api.common import bad_request, enum_list_arg, int_arg, str_arg
from app.api.map_common import (
    coords_arg,
    local_today,
    public_view,
    request_locale,
    restock_policy,
)
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session
from app.mapping.map_records import MapQuery, map_records
from maps.payload import FIELDS, MAX_FEATURES, features_payload, parse_bbox
from maps.records import KINDS


def _corners_in_order(raw: str) -> str:
    """Accept corners in either order, as /assets?bbox= does (the document cannot say
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


@bp.get("/map-features")
def map_features() -> ResponseReturnValue:
    raw_bbox = str_arg("bbox", 200)
    if raw_bbox is None:
        raise bad_request("'bbox' is required: minLon,minLat,maxLon,maxLat.")
    coords = coords_arg()
    try:
        box = parse_bbox(_corners_in_order(raw_bbox), coords)
    except ValueError as exc:
        raise bad_request(f"'bbox': {exc}.") from None
    kinds = enum_list_arg("kind", KINDS) or list(KINDS)
    int_arg("zoom", None, 0, 30)  # validated; the row cap does the work at any zoom
    public = public_view()
    query = MapQuery(public=public, locale=request_locale(), box=box, kinds=tuple(kinds),
                     contacts=can_see_personal_data(current_user))
    # One row past the cap tells features_payload that the answer was truncated.
    records, total = map_records(db_session(), query, local_today(), restock_policy(),
                                 limit=MAX_FEATURES + 1)
    payload = features_payload(records, coords=coords, public=public, total=total)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/json")


def openapi_path() -> dict[str, Any]:
    """This operation in the OpenAPI document (app/api/openapi.py)."""
    from app.api.openapi import BBOX_PATTERN, JSON, _csv_enum, _problem, _query

    body = {
        "type": "object",
        "required": ["v", "coords", "fields", "link_prefix", "hours", "rows", "total",
                     "truncated"],
        "properties": {
            "v": {"const": 1}, "coords": {"enum": ["wgs84", "gcj02"]},
            "fields": {"type": "array", "items": {"enum": list(FIELDS)}},
            "link_prefix": {"type": "string"},
            "hours": {"type": "array", "items": {"type": "array"}},
            "rows": {"type": "array", "maxItems": MAX_FEATURES,
                     "items": {"type": "array", "minItems": 5}},
            "total": {"type": "integer", "minimum": 0},
            "truncated": {"type": "boolean"},
        },
    }
    return {"get": {
        "summary": "Map records in a viewport (the map page's bbox mode)",
        "description": "Compact rows (see maps/payload.py): at most 5,000, most urgent "
                       "first when capped, under 1 MB. Anonymous callers get the public view.",
        "security": [{}, {"bearer": []}],
        "parameters": [
            {**_query("bbox", {"type": "string", "pattern": BBOX_PATTERN},
                      "minLon,minLat,maxLon,maxLat (in coords)."), "required": True},
            _query("kind", _csv_enum(KINDS), "Comma-separated: aed, station, gateway."),
            _query("zoom", {"type": "integer", "minimum": 0, "maximum": 30}, "Map zoom."),
            _query("coords", {"enum": ["wgs84", "gcj02"]}, "Datum of bbox and rows."),
            _query("view", {"enum": ["public", "internal"]},
                   "public: only what the public map shows."),
        ],
        "responses": {"200": {"description": "Features",
                              "content": {JSON: {"schema": body}}},
                      "400": _problem("Bad parameter")},
    }}
