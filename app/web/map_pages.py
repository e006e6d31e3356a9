"""Map pages: /map for signed-in volunteers, /map/public for anyone (read-only, public
information only), and the map's own static files (Leaflet, markercluster, page script)
under /static/maps/, so no page ever needs a CDN.

Up to MAP_EMBED_MAX records (default 10,000) the page embeds its data; above that it
loads the viewport from /api/v1/map-features (bbox mode).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from flask import Response, abort, current_app, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.api.map_common import local_today, request_locale, restock_policy
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session, get_settings
from app.http_security import csp_nonce
from app.mapping.map_records import MapQuery, count_map_records, map_records
from app.mapping.public_policy import PUBLIC_MAP_KINDS
from app.mapping.statuses import legend
from app.web.blueprint import bp
from app.web.coverage_views import map_layer
from app.web.map_texts import emergency_text, map_text, map_title
from maps.assets import CSS_FILES, JS_FILES, STATIC_DIR
from maps.builder import MapPage, Mode, build_map
from maps.coverage_layer import add_coverage
from maps.records import KINDS, MapRecord
from maps.tiles import get_provider

MAP_EMBED_MAX = 10_000
STATIC_PREFIX = "/static/maps/"
_VERSIONED = re.compile(r"^_v/[0-9a-f]{12}/(.+)$")
YEAR_S = 365 * 24 * 3600
DAY_S = 24 * 3600


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A content hash of the map's static files: part of their URL on our pages, so they
    can be cached for a year and still change with a new release."""
    digest = hashlib.sha256()
    for _, rel in (*JS_FILES, *CSS_FILES):
        digest.update((STATIC_DIR / rel).read_bytes())
    return digest.hexdigest()[:12]


def static_prefix() -> str:
    return f"{STATIC_PREFIX}_v/{asset_version()}/"


@bp.get(STATIC_PREFIX + "<path:filename>")
def map_static(filename: str) -> ResponseReturnValue:
    versioned = _VERSIONED.match(filename)
    if versioned:
        filename = versioned.group(1)
    if not (STATIC_DIR / filename).is_file():
        abort(404)
    # send_from_directory refuses paths that leave STATIC_DIR.
    response = send_from_directory(STATIC_DIR, filename, max_age=YEAR_S if versioned else DAY_S)
    response.cache_control.public = True
    if versioned:
        response.cache_control.immutable = True
    return response


def _map_page(public: bool) -> ResponseReturnValue:
    session = db_session()
    locale = request_locale()
    query = MapQuery(public=public, locale=locale,
                     contacts=can_see_personal_data(current_user))
    embed_max = int(current_app.config.get("MAP_EMBED_MAX", MAP_EMBED_MAX))

    def url(endpoint: str) -> str:
        return url_for(endpoint, view="public") if public else url_for(endpoint)

    def build(records: list[MapRecord], mode: Mode) -> MapPage:
        return build_map(
            records, mode=mode,
            tiles=get_settings().map_tiles, static_url=static_prefix(),
            legend=legend(locale), text=map_text(locale),
            features_url=url("api.map_features"), nearest_url=url("api.nearest_aeds"),
            public=public, zoom=14, title=map_title(locale, public),
            # The page's inline scripts and styles carry this request's CSP nonce.
            nonce=csp_nonce(),
            # A bystander's map: call 120, the nearest AED available now, open now on.
            emergency=emergency_text(locale) if public else None,
            kinds=PUBLIC_MAP_KINDS if public else KINDS,
        )

    if count_map_records(session, query) <= embed_max:
        records, _ = map_records(session, query, local_today(), restock_policy())
        page = build(records, "embed")
    else:
        page = build([], "bbox")
    # Coordinators get the coverage layer (app/web/coverage_views.py).
    layer = None if public else map_layer(
        session, locale, "gcj02" if get_provider(get_settings().map_tiles).gcj02 else "wgs84")
    html = (add_coverage(page, layer, STATIC_PREFIX) if layer else page).render()
    response = Response(html, mimetype="text/html")
    # Internal pages carry contacts: never in a shared cache.
    response.headers["Cache-Control"] = "public, max-age=60" if public else "private, no-store"
    return response


@bp.get("/map")
@login_required
def volunteer_map() -> ResponseReturnValue:
    return _map_page(public=False)


@bp.get("/map/public")
def public_map() -> ResponseReturnValue:
    return _map_page(public=True)
