"""GET /api/v1/map-features: map records in a viewport, for the map page's bbox mode.

The body is maps.payload.features_payload (at most 5,000 rows and under 1 MB, the most
urgent statuses kept when capped). Public like the public map: anonymous callers (and
``view=public``) get public records without contacts or gateways.
"""

from __future__ import annotations

import json

from flask import Response
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.api.access import Access
from app.api.blueprint import api
from app.api.map_common import local_today, public_audience, request_locale, restock_policy
from app.api.schemas.maps import MapFeatures, MapFeaturesQuery
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session
from app.mapping.map_records import MapQuery, map_records
from maps.payload import MAX_FEATURES, features_payload
from maps.records import KINDS


@api.get("/map-features", summary="Map records in a viewport (the map page's bbox mode)",
         query=MapFeaturesQuery, reply=MapFeatures, access=Access.PUBLIC,
         description="Anonymous callers get the public view.")
def map_features(query: MapFeaturesQuery) -> ResponseReturnValue:
    public = public_audience(query.view)
    search = MapQuery(public=public, locale=request_locale(), box=query.bbox,
                      kinds=query.kind or KINDS, contacts=can_see_personal_data(current_user))
    # One row past the cap tells features_payload that the answer was truncated.
    records, total = map_records(db_session(), search, local_today(), restock_policy(),
                                 limit=MAX_FEATURES + 1)
    payload = features_payload(records, coords=query.coords, public=public, total=total)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/json")
