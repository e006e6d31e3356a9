"""Nearest AEDs from the database: an indexed box that widens, then exact geodesics.

Exactness argument (the answer equals ranking every matching row by geopy's geodesic,
ties by asset id):

1. ``maps.geo.bbox_around(lat, lon, r)`` holds every point within ``r`` metres, so a
   row outside the box is farther than ``r``. Once the n-th best exact distance found in
   the box is ``<= r``, nothing outside can beat or tie it; otherwise the radius grows
   (to at least that n-th distance) and the box is queried again.
2. Inside the box, exact geodesics are computed only where needed. On WGS-84 the line
   element is ``ds^2 = M^2 dphi^2 + N^2 cos^2(phi) dlambda^2`` with the meridional radius
   ``M >= a(1 - e^2)`` and the normal radius ``N >= a``, so ``ds`` is never shorter than
   the same path's length on a sphere of radius ``R = a(1 - e^2)`` (6,335,439 m) that
   uses the geodetic latitude. Hence the great-circle distance on that sphere
   (haversine) is a lower bound of the geodesic. Candidates are taken in order of that
   bound; once the bound of the next one exceeds the current n-th exact distance, no
   later candidate can enter the top n (the bound is shrunk by 1e-9 relative and 1 mm
   absolute, far above floating-point and geographiclib's 15 nm error).
3. Exact distances come from ``maps.geo.distance_m`` (geographiclib's WGS-84 inverse in
   geopy's own units, bit-identical to ``geopy.distance.geodesic(...).m``), and the
   final order is (distance, id).

Kind, status and public are checked by primary key only for candidates the ranking
reaches, so the box query itself reads nothing but the (lat, lon) index.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from app.mapping.public_policy import public_asset_clause
from app.models import Asset, Site
from maps.geo import MAX_DISTANCE_M, Ranked, bbox_around, distance_m
from maps.records import MapRecord

#: a(1 - e^2) on WGS-84: the smallest radius of curvature anywhere on the ellipsoid.
LOWER_BOUND_RADIUS_M = 6_335_439.327
_LB_SCALE = LOWER_BOUND_RADIUS_M * (1.0 - 1e-9)
_LB_SLACK_M = 1e-3
#: First search radius; the box doubles (or jumps to the n-th distance) from here.
START_RADIUS_M = 400.0


def lower_bound_m(lat0: float, lon0: float, lat: float, lon: float) -> float:
    """A distance never above the WGS-84 geodesic (see the module docstring)."""
    p0, p1 = math.radians(lat0), math.radians(lat)
    h = (math.sin((p1 - p0) / 2.0) ** 2
         + math.cos(p0) * math.cos(p1) * math.sin(math.radians(lon - lon0) / 2.0) ** 2)
    return 2.0 * _LB_SCALE * math.asin(min(1.0, math.sqrt(h))) - _LB_SLACK_M


@dataclass(frozen=True)
class NearestQuery:
    lat: float
    lon: float
    n: int = 3
    statuses: Sequence[str] | None = None
    public_only: bool = False


# Phase 1 reads only what the (lat, lon) index holds (the id is SQLite's rowid): no table
# lookups however many rows the box holds. Phase 2 checks kind, status and public by
# primary key, only for the few candidates the ranking actually reaches.
_IN_BOX = (
    select(Asset.id, Asset.lat, Asset.lon)
    .where(Asset.lat.between(bindparam("min_lat"), bindparam("max_lat")),
           Asset.lon.between(bindparam("min_lon"), bindparam("max_lon")))
)
_CHUNK = 48
_FILTERS: dict[tuple[bool, bool], Executable] = {}


def _filter_select(with_statuses: bool, public_only: bool) -> Executable:
    key = (with_statuses, public_only)
    if key not in _FILTERS:
        # `kind || ''` keeps SQLite (no statistics) off the (kind, status) index: the
        # primary keys are what is selective here.
        stmt = select(Asset.id).where(Asset.id.in_(bindparam("ids", expanding=True)),
                                      Asset.kind + "" == "aed",
                                      Asset.retired_at.is_(None))  # retired: never nearest
        if with_statuses:
            stmt = stmt.where((Asset.status + "").in_(bindparam("statuses", expanding=True)))
        if public_only:
            stmt = stmt.where(public_asset_clause())
        _FILTERS[key] = stmt
    return _FILTERS[key]


def _top_n(session: Session, q: NearestQuery, rows: Sequence[Any]) -> list[tuple[float, int]]:
    """The n best (distance, id) among the matching rows, nearest first: candidates in
    order of their lower bound, filtered in chunks, exact distances only where needed."""
    lat, lon, n = q.lat, q.lon, q.n
    bounded = sorted((lower_bound_m(lat, lon, r[1], r[2]), r[0], r[1], r[2]) for r in rows)
    stmt = _filter_select(bool(q.statuses), q.public_only)
    params: dict[str, Any] = {"statuses": list(q.statuses)} if q.statuses else {}
    best: list[tuple[float, int]] = []  # max-heap of the n best, as (-distance, -id)
    for start in range(0, len(bounded), _CHUNK):
        chunk = bounded[start:start + _CHUNK]
        if len(best) == n and chunk[0][0] > -best[0][0]:
            break
        matching = set(session.scalars(stmt, {**params, "ids": [c[1] for c in chunk]}))
        for lb, aid, alat, alon in chunk:
            if len(best) == n and lb > -best[0][0]:
                break
            if aid not in matching:
                continue
            d = distance_m(lat, lon, alat, alon)
            if len(best) < n:
                heapq.heappush(best, (-d, -aid))
            elif (d, aid) < (-best[0][0], -best[0][1]):
                heapq.heapreplace(best, (-d, -aid))
    return sorted((-nd, -naid) for nd, naid in best)


def nearest_ids(session: Session, q: NearestQuery,
                start_radius_m: float = START_RADIUS_M) -> list[tuple[float, int]]:
    """[(geodesic metres, asset id)] of the n nearest matching AEDs, nearest first."""
    if q.n <= 0:
        return []
    radius = start_radius_m
    while True:
        min_lat, min_lon, max_lat, max_lon = bbox_around(q.lat, q.lon, radius)
        rows = session.execute(_IN_BOX, {"min_lat": min_lat, "max_lat": max_lat,
                                         "min_lon": min_lon, "max_lon": max_lon}).all()
        whole_world = radius >= MAX_DISTANCE_M
        top = _top_n(session, q, rows) if len(rows) >= q.n or whole_world else []
        if whole_world or (len(top) == q.n and top[-1][0] <= radius):
            return top
        if len(top) == q.n:
            # The n-th may be beaten by a point outside the box: a box of that radius
            # is sure to hold every such point.
            radius = min(max(radius * 2.0, top[-1][0]), MAX_DISTANCE_M)
        else:
            # Too few: grow faster the emptier the box (area scales with radius^2).
            radius = min(radius * (4.0 if not rows else 2.0), MAX_DISTANCE_M)


def nearest_records(
    session: Session, q: NearestQuery, locale: str = "zh_CN", with_links: bool = True
) -> list[Ranked[MapRecord]]:
    """The nearest AEDs as ranked map records, for maps.payload.nearest_payload."""
    top = nearest_ids(session, q)
    if not top:
        return []
    ids = [aid for _, aid in top]
    rows = {r[0]: r for r in session.execute(
        select(Asset.id, Asset.name, Asset.name_en, Asset.lat, Asset.lon, Asset.status,
               Asset.access_hours, Site.opening_hours, Asset.public, Asset.cabinet,
               Asset.cabinet_en)
        .join(Site, Site.id == Asset.site_id).where(Asset.id.in_(ids))
    )}
    out = []
    for dist, aid in top:
        (_, name, name_en, lat, lon, status, hours, site_hours, public, cabinet,
         cabinet_en) = rows[aid]
        label = name_en if locale == "en" and name_en else name
        # The description is where exactly the AED hangs (OSM defibrillator:location),
        # which someone sent to fetch it needs; it is public (public_policy: cabinet).
        where = cabinet_en if locale == "en" and cabinet_en else cabinet
        rec = MapRecord(
            id=str(aid), kind="aed", lat=lat, lon=lon, status=status, label=label,
            link=f"/assets/{aid}" if with_links else "",
            access_hours=hours or site_hours or "", description=where or "",
            public=bool(public),
        )
        out.append(Ranked(dist, rec))
    return out
