"""GET /api/v1/public/aeds: the public AED feed for platforms (app/feeds), as GeoJSON
(``.geojson``, or ``Accept: application/geo+json``, the default) or CSV (``.csv``, or
``Accept: text/csv``). The same for every caller: only what the public may see.

Each answer has a strong ETag over its bytes (``If-None-Match`` answers 304), the next
page in ``Link: <…>; rel="next"``, the licence in ``Link: <…>; rel="license"`` and
``X-Feed-Licence``, the attribution in ``X-Feed-Attribution`` (RFC 8187 ``UTF-8''…``
when it is not ASCII).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.http import generate_etag

from app.api.access import Access
from app.api.blueprint import api
from app.api.problems import unprocessable
from app.api.schemas.feeds import PublicAeds, PublicAedsCsv, PublicFeedQuery
from app.api.schemas.problem import InvalidParam
from app.extensions import db_session, get_settings
from app.feeds.formats import CSV, GEOJSON, csv_page, geojson_page
from app.feeds.pages import Cursor, parse_since, read_page
from app.heap import cycle_collection_paused
from app.models import utcnow

JSON = "application/json"
_CONTENT_TYPES = {GEOJSON: GEOJSON, JSON: JSON, CSV: "text/csv; charset=utf-8; header=present"}
_BAD = {422: "updated_since or cursor cannot be read (named in invalid-params)"}
_ABOUT = ("Every AED the public may see, at most FEED_PAGE_SIZE (10,000) a page, or with "
          "updated_since only those whose record changed since, tombstones included. "
          "Answers carry a strong ETag (If-None-Match: 304) and the next page in a Link "
          "header. See docs/api.md, For platforms.")


def _invalid(name: str, exc: ValueError) -> Exception:
    return unprocessable([InvalidParam(name=name, reason=str(exc))],
                         f"'{name}' {exc}.")


def _serve(query: PublicFeedQuery, media: str) -> ResponseReturnValue:
    settings = get_settings()
    try:
        since = parse_since(query.updated_since) if query.updated_since else None
    except ValueError as exc:
        raise _invalid("updated_since", exc) from None
    try:
        cursor = Cursor.decode(query.cursor, delta=since is not None) if query.cursor else None
    except ValueError as exc:
        raise _invalid("cursor", exc) from None
    # Open now as of this minute: the answer (and its ETag) stays the same within it.
    at = utcnow().replace(second=0, microsecond=0)
    with cycle_collection_paused():
        page = read_page(db_session(), since, cursor, settings.feed.page_size, settings.tz)
        following = None
        if page.next_cursor is not None:
            following = url_for(str(request.endpoint), updated_since=query.updated_since,
                                cursor=page.next_cursor)
        body = (csv_page(page, at) if media == CSV
                else geojson_page(page, settings.feed, following, at))
    feed = settings.feed
    links = [f'<{following}>; rel="next"'] if following else []
    if feed.licence_url:
        links.append(f'<{feed.licence_url}>; rel="license"')
    headers = {"ETag": f'"{generate_etag(body)}"', "Cache-Control": "public, no-cache",
               "X-Feed-Licence": feed.licence, "X-Feed-Attribution": _header_text(
                   feed.attribution), "Vary": "Accept"}
    if links:
        headers["Link"] = ", ".join(links)
    if request.if_none_match.contains_weak(headers["ETag"].strip('"')):
        return Response(status=304, headers=headers)
    return Response(body, content_type=_CONTENT_TYPES[media], headers=headers)


def _header_text(text: str) -> str:
    """A header value as it is when ASCII, else RFC 8187's ``UTF-8''<percent-encoded>``."""
    return text if text.isascii() else "UTF-8''" + quote(text, safe="")


@api.get("/public/aeds", summary="The public AED feed (GeoJSON; CSV with Accept: text/csv)",
         query=PublicFeedQuery, reply=PublicAeds, access=Access.PUBLIC,
         media_types=(GEOJSON, JSON), errors=_BAD, description=_ABOUT)
def public_aeds(query: PublicFeedQuery) -> ResponseReturnValue:
    media = request.accept_mimetypes.best_match([GEOJSON, JSON, CSV], default=GEOJSON)
    return _serve(query, media or GEOJSON)


@api.get("/public/aeds.geojson", summary="The public AED feed as GeoJSON",
         query=PublicFeedQuery, reply=PublicAeds, access=Access.PUBLIC,
         media_types=(GEOJSON,), errors=_BAD, description=_ABOUT)
def public_aeds_geojson(query: PublicFeedQuery) -> ResponseReturnValue:
    return _serve(query, GEOJSON)


@api.get("/public/aeds.csv", summary="The public AED feed as CSV", query=PublicFeedQuery,
         reply=PublicAedsCsv, access=Access.PUBLIC, media_types=(CSV,), errors=_BAD,
         description=_ABOUT)
def public_aeds_csv(query: PublicFeedQuery) -> ResponseReturnValue:
    return _serve(query, CSV)
