"""A page of the feed as bytes: GeoJSON (RFC 7946, WGS-84 points) or CSV (RFC 4180).

GeoJSON carries the licence, the attribution and the next page's link at its top
level. CSV has one header line and one line per AED (its properties as in GeoJSON, then
``retired``); the licence, the attribution and the next link travel in response headers
(app/api/public_feed.py). Text a person typed never becomes a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

import orjson

from app.config import FeedSettings
from app.feeds.pages import Page
from app.feeds.record import PROPERTY_NAMES, opening_at

GEOJSON = "application/geo+json"
CSV = "text/csv"
CSV_COLUMNS = ("id", "lon", "lat", *PROPERTY_NAMES, "retired")
# A cell a spreadsheet would run as a formula ("=HYPERLINK(...)", "@SUM(...)"); a
# number such as the level "-1" is none.
_FORMULA = re.compile(r"[=+\-@](?![0-9.]+$)")


def geojson_page(page: Page, feed: FeedSettings, next_url: str | None, at: datetime) -> bytes:
    """``at``: the moment ``open_now`` is told for."""
    open_now = opening_at(at)
    body = {
        "type": "FeatureCollection",
        "licence": {"name": feed.licence, "url": feed.licence_url or None},
        "attribution": feed.attribution,
        "features": [entry.feature(open_now) for entry in page.entries],
        "next": next_url,
    }
    # orjson: the standard library's encoder takes seconds for 100,000 features.
    return orjson.dumps(body)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def csv_page(page: Page, at: datetime) -> bytes:
    open_now = opening_at(at)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in page.entries:
        shown = entry.feature(open_now)
        props = shown["properties"]
        if shown["geometry"] is None:
            cells = {"id": entry.asset_id, "updated_at": props["updated_at"], "retired": True}
        else:
            lon, lat = shown["geometry"]["coordinates"]
            cells = {"id": entry.asset_id, "lon": lon, "lat": lat, **props, "retired": False}
        writer.writerow([_cell(cells.get(name)) for name in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")
