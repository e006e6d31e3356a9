"""GET /api/v1/nearest: the nearest AEDs to a position, with geodesic distance and
whether each is open now. Public: anyone may look for an AED (anonymous callers see
public AEDs only, without links to internal pages)."""

from __future__ import annotations

import json

from flask import Response
from flask.typing import ResponseReturnValue

from app.api.access import Access
from app.api.blueprint import api
from app.api.map_common import public_audience, request_locale
from app.api.schemas.maps import NearestAeds, NearestQuery
from app.extensions import db_session
from app.mapping.nearest import NearestQuery as NearestSearch
from app.mapping.nearest import nearest_records
from maps.payload import nearest_payload


@api.get("/nearest", summary="Nearest AEDs to a position, by geodesic distance",
         query=NearestQuery, reply=NearestAeds, access=Access.PUBLIC,
         description="Exact: equal to ranking every matching AED by WGS-84 geodesic "
         "distance (ties by id). Anonymous callers see public AEDs only.")
def nearest_aeds(query: NearestQuery) -> ResponseReturnValue:
    public = public_audience(query.view)
    search = NearestSearch(query.lat, query.lon, query.n, query.status, public_only=public)
    ranked = nearest_records(db_session(), search, locale=request_locale(),
                             with_links=not public)
    body = json.dumps(nearest_payload(ranked, coords=query.coords), ensure_ascii=False,
                      separators=(",", ":"))
    return Response(body, mimetype="application/json")
