"""The compact JSON shape of map data, shared by the embedded page blob and the bbox API.

Shape (version 2)::

    {
      "v": 2,
      "coords": "wgs84" | "gcj02",      # datum of lat/lon in rows
      "fields": ["id", "kind", ...],     # FIELDS, for readers
      "link_prefix": "/assets/",         # common prefix of every row's link
      "hours_window": {"from": 1796054400000, "to": 1796745600000, "ahead": 10080},
      "hours": [["Mo-Fr 08:00-18:00; PH off", [[480, 1080], ...]],
                ["Mo-Fr 08:00-18:00 || \"call\"", [[480, 1080], ...], [[1080, 1920], ...]],
                ["全天开放", null], ...],
      "rows": [[id, kind, lat, lon, status, label, link_suffix, hours_index,
                pad_expiry, battery_expiry, last_check, description, contact], ...],
      "total": 1234,                     # records that matched before capping
      "truncated": false                 # true when rows were capped (zoom in)
    }

``kind`` is an index into KIND_CODES; ``hours_index`` indexes ``hours`` (-1: none given);
dates are ``YYYY-MM-DD`` (last_check in Asia/Shanghai). Trailing empty fields of a row
are dropped, readers treat missing as empty. Coordinates are rounded to 6 decimals
(about 0.1 m).

Hours are concrete, holidays and adjusted working days applied (:mod:`maps.hours`):
one entry per distinct value, with the minutes (from ``hours_window.from``, Unix ms, the
local midnight the window starts at) in which it is open, then, when there are any,
those in which its state is unknown; closed is the rest. ``null`` instead of the open
list means the value cannot be evaluated (unknown throughout; the text is kept). Past
``hours_window.to`` nothing is known, and the page answers "unknown" there. A reader
answers "open now, closes at", "closed, opens at" as :func:`maps.hours.open_state`
does: changes are looked for ``hours_window.ahead`` minutes ahead, and not past ``to``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, TypedDict, Unpack

from maps.geo import Ranked, gcj02_to_wgs84, wgs84_to_gcj02
from maps.hours import LOOKAHEAD, TZ, intervals, open_state, window
from maps.records import KINDS, MapRecord, public_view

Coords = Literal["wgs84", "gcj02"]

VERSION = 2
KIND_CODES: tuple[str, ...] = KINDS
FIELDS: tuple[str, ...] = (
    "id", "kind", "lat", "lon", "status", "label", "link", "hours",
    "pad_expiry", "battery_expiry", "last_check", "description", "contact",
)
#: At most this many rows per bbox response (densest viewport: the page says "zoom in").
MAX_FEATURES = 5000
#: Byte budget for one bbox response's rows, keeping the whole body under 1 MB.
MAX_PAYLOAD_BYTES = 950_000

_KIND_INDEX = {k: i for i, k in enumerate(KIND_CODES)}


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(TZ)
        return value.date().isoformat()
    return value.isoformat()


def _common_prefix(links: Sequence[str]) -> str:
    if not links:
        return ""
    lo, hi = min(links), max(links)
    i = 0
    while i < len(lo) and i < len(hi) and lo[i] == hi[i]:
        i += 1
    prefix = lo[:i]
    # Cut at a path separator so ids stay whole (and the prefix reads as a URL).
    return prefix[: prefix.rfind("/") + 1] if "/" in prefix else ""


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _hours_entry(value: str, start: datetime, end: datetime) -> list[Any]:
    spans = intervals(value, start, end)
    if spans is None:
        return [value, None]

    def minutes(state: str) -> list[list[int]]:
        return [[int((s.start - start).total_seconds() // 60),
                 int((s.end - start).total_seconds() // 60)]
                for s in spans if s.state == state]

    entry: list[Any] = [value, minutes("open")]
    unknown = minutes("unknown")
    if unknown:
        entry.append(unknown)
    return entry


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()) + 1


def _select(
    records: Iterable[MapRecord], *, public: bool, show_online_gateways: bool
) -> list[MapRecord]:
    recs = list(records)
    if public:
        recs = public_view(recs)
    if not show_online_gateways:
        recs = [r for r in recs if not (r.kind == "gateway" and r.status == "online")]
    return recs


def encode(
    records: Iterable[MapRecord],
    *,
    coords: Coords = "wgs84",
    public: bool = False,
    show_online_gateways: bool = False,
    limit: int | None = None,
    max_bytes: int | None = None,
    total: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Encode records in the shape above. ``public`` drops private records and fields;
    online gateways are left out unless ``show_online_gateways``. ``limit`` and
    ``max_bytes`` cap the rows (in the given order) and set ``truncated``. Hours are
    given for the window that starts at the local midnight of ``now`` (aware; default
    the current time)."""
    if coords not in ("wgs84", "gcj02"):
        raise ValueError(f"unknown coords {coords!r}")
    recs = _select(records, public=public, show_online_gateways=show_online_gateways)
    matched = len(recs) if total is None else total
    if limit is not None:
        recs = recs[:limit]
    prefix = _common_prefix([r.link for r in recs])
    hours_from, hours_to = window(now or datetime.now(UTC))
    hours_table: list[list[Any]] = []
    hours_index: dict[str, int] = {}
    rows: list[list[Any]] = []
    used = 0
    for r in recs:
        lat, lon = wgs84_to_gcj02(r.lat, r.lon) if coords == "gcj02" else (r.lat, r.lon)
        h, entry = -1, None
        if r.access_hours.strip():
            h = hours_index.get(r.access_hours, -1)
            if h < 0:
                entry = _hours_entry(r.access_hours, hours_from, hours_to)
                h = len(hours_table)
        row: list[Any] = [
            r.id, _KIND_INDEX[r.kind], round(lat, 6), round(lon, 6), r.status, r.label,
            r.link[len(prefix):], h, _day(r.pad_expiry), _day(r.battery_expiry),
            _day(r.last_check), r.description, "" if public else r.contact,
        ]
        while row and row[-1] in ("", -1):
            row.pop()
        if max_bytes is not None:
            # A row's new hours entry counts against the budget with the row.
            used += _json_size(row) + (_json_size(entry) if entry is not None else 0)
            if used > max_bytes:
                break
        if entry is not None:
            hours_index[r.access_hours] = h
            hours_table.append(entry)
        rows.append(row)
    return {
        "v": VERSION,
        "coords": coords,
        "fields": list(FIELDS),
        "link_prefix": prefix,
        "hours_window": {"from": _ms(hours_from), "to": _ms(hours_to),
                         "ahead": int(LOOKAHEAD.total_seconds() // 60)},
        "hours": hours_table,
        "rows": rows,
        "total": matched,
        "truncated": len(rows) < matched,
    }


class EncodeOptions(TypedDict, total=False):
    """What `features_payload` passes on to `encode` unchanged (see its defaults)."""

    coords: Coords
    public: bool
    show_online_gateways: bool
    total: int | None
    now: datetime | None


def features_payload(
    records: Iterable[MapRecord],
    *,
    limit: int = MAX_FEATURES,
    max_bytes: int = MAX_PAYLOAD_BYTES,
    **options: Unpack[EncodeOptions],
) -> dict[str, Any]:
    """Body of the bbox API response (``GET features_url?bbox=...``), JSON-serialisable:
    `encode` capped at ``limit`` rows and ``max_bytes``.

    Pass the records found in the box (ordered by what matters most when capped, e.g.
    urgent statuses first); query at most ``limit + 1`` rows and pass ``total`` if you
    counted them. Serialised with ``json.dumps`` it stays under 1 MB."""
    return encode(records, limit=limit, max_bytes=max_bytes, **options)


def parse_bbox(param: str, coords: str = "wgs84") -> tuple[float, float, float, float]:
    """Parse the page's ``bbox=minLon,minLat,maxLon,maxLat`` (in ``coords``) into a
    WGS-84 box ``(min_lat, min_lon, max_lat, max_lon)`` for the database query.

    For gcj02 the corners are converted back and the box padded by 0.002 degrees, which
    covers the slow variation of the GCJ offset inside a viewport. Raises ValueError."""
    parts = param.split(",")
    if len(parts) != 4:
        raise ValueError("bbox needs 4 numbers: minLon,minLat,maxLon,maxLat")
    min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    if not all(map(_finite, (min_lon, min_lat, max_lon, max_lat))):
        raise ValueError("bbox values must be finite")
    if min_lat > max_lat or min_lon > max_lon:
        raise ValueError("bbox min must not exceed max")
    min_lat, max_lat = max(min_lat, -90.0), min(max_lat, 90.0)
    min_lon, max_lon = max(min_lon, -180.0), min(max_lon, 180.0)
    if coords == "gcj02":
        corners = [gcj02_to_wgs84(la, lo) for la in (min_lat, max_lat) for lo in (min_lon, max_lon)]
        pad = 0.002
        min_lat = max(-90.0, min(c[0] for c in corners) - pad)
        max_lat = min(90.0, max(c[0] for c in corners) + pad)
        min_lon = max(-180.0, min(c[1] for c in corners) - pad)
        max_lon = min(180.0, max(c[1] for c in corners) + pad)
    elif coords != "wgs84":
        raise ValueError(f"unknown coords {coords!r}")
    return min_lat, min_lon, max_lat, max_lon


def _finite(x: float) -> bool:
    return x == x and x not in (float("inf"), float("-inf"))


def nearest_payload(
    ranked: Iterable[Ranked[MapRecord]],
    *,
    open_now: dict[str, bool | None] | None = None,
    coords: Coords = "wgs84",
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Body of the nearest API (``GET nearest_url?lat=&lon=&n=&status=``) from the result
    of :func:`maps.geo.rank_nearest` / :meth:`maps.geo.NearestIndex.query`: a JSON list,
    nearest first, of ``{id, label, lat, lon, distance_m, open_now, link, status,
    location}`` (lat/lon WGS-84; ``location`` is the record's description: where exactly
    it is). With coords=gcj02 each item also has ``map_lat``/``map_lon`` for
    panning a GCJ-02 map. ``open_now`` maps record id to open (True/False/None for
    unknown); when not given it is :func:`maps.hours.open_state` of each record's
    access_hours at ``at`` (aware; default the current time)."""
    at = at or datetime.now(UTC)
    out = []
    for rk in ranked:
        dist, r = rk.distance_m, rk.item
        is_open = (open_now.get(r.id) if open_now is not None
                   else open_state(r.access_hours, at).open)
        item: dict[str, Any] = {
            "id": r.id, "label": r.label, "lat": round(r.lat, 6), "lon": round(r.lon, 6),
            "distance_m": round(dist, 1), "open_now": is_open, "link": r.link, "status": r.status,
            "location": r.description,
        }
        if coords == "gcj02":
            mlat, mlon = wgs84_to_gcj02(r.lat, r.lon)
            item["map_lat"], item["map_lon"] = round(mlat, 6), round(mlon, 6)
        out.append(item)
    return out
