"""GET /api/v1/nearest: the nearest AEDs to a position, with geodesic distance and
whether each is open now. Public: anyone may look for an AED (anonymous callers see
public AEDs only, without links to internal pages)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.common import enum_list_arg, int_arg
from app.api.map_common import coords_arg, float_arg, public_view, request_locale
from app.extensions import db_session
from app.mapping.nearest import NearestQuery, nearest_records
from app.models import READINESS_STATUSES
from maps.payload import nearest_payload

MAX_N = 50


@bp.get("/nearest")
def nearest_aeds() -> ResponseReturnValue:
    lat = float_arg("lat", -90.0, 90.0)
    lon = float_arg("lon", -180.0, 180.0)
    n = int_arg("n", 3, 1, MAX_N)
    assert n is not None
    statuses = enum_list_arg("status", READINESS_STATUSES)
    coords = coords_arg()
    public = public_view()
    ranked = nearest_records(
        db_session(), NearestQuery(lat, lon, n, statuses, public_only=public),
        locale=request_locale(), with_links=not public,
    )
    body = json.dumps(nearest_payload(ranked, coords=coords), ensure_ascii=False,
                      separators=(",", ":"))
    return Response(body, mimetype="application/json")


def openapi_path() -> dict[str, Any]:
    """This operation in the OpenAPI document (app/api/openapi.py)."""
    from app.api.openapi import JSON, _csv_enum, _problem, _query

    item = {
        "type": "object",
        "required": ["id", "label", "lat", "lon", "distance_m", "open_now", "link", "status"],
        "properties": {
            "id": {"type": "string"}, "label": {"type": "string"},
            "lat": {"type": "number"}, "lon": {"type": "number"},
            "distance_m": {"type": "number", "minimum": 0},
            "open_now": {"type": ["boolean", "null"]},
            "link": {"type": "string"}, "status": {"enum": list(READINESS_STATUSES)},
            "map_lat": {"type": "number"}, "map_lon": {"type": "number"},
        },
    }
    required = [
        {**_query("lat", {"type": "number", "minimum": -90, "maximum": 90},
                  "Latitude, WGS-84 (a phone's GPS)."), "required": True},
        {**_query("lon", {"type": "number", "minimum": -180, "maximum": 180},
                  "Longitude, WGS-84."), "required": True},
    ]
    return {"get": {
        "summary": "Nearest AEDs to a position, by geodesic distance",
        "description": "Exact: equal to ranking every matching AED by WGS-84 geodesic "
                       "distance (ties by id). Anonymous callers see public AEDs only. "
                       "open_now is null when the access hours are unknown.",
        "security": [{}, {"bearer": []}],
        "parameters": [
            *required,
            _query("n", {"type": "integer", "minimum": 1, "maximum": MAX_N},
                   "How many (default 3)."),
            _query("status", _csv_enum(READINESS_STATUSES),
                   "Comma-separated readiness statuses, e.g. ready."),
            _query("coords", {"enum": ["wgs84", "gcj02"]},
                   "gcj02 adds map_lat/map_lon for a GCJ-02 map."),
            _query("view", {"enum": ["public", "internal"]},
                   "public: only what the public map shows."),
        ],
        "responses": {
            "200": {"description": "Nearest first",
                    "content": {JSON: {"schema": {"type": "array", "items": item}}}},
            "400": _problem("Bad parameter"),
        },
    }}
