"""The AEDs as coverage sees them, read from what is stored: position, opening hours (the
AED's own access hours, else its site's, as the map shows them) and the cached
readiness the one evaluation keeps (app/aeds/refresh.py). Retired AEDs are gone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.coverage.geojson import Polygon
from app.coverage.model import AedState
from app.coverage.store import ID_CHUNK
from app.models import Asset, Site
from maps.geo import bbox_around

#: Readiness in which an AED counts as available (when open).
AVAILABLE_STATUSES = frozenset({"ready", "attention"})
Box = tuple[float, float, float, float]


def _select() -> Select[int, float, float, str, str]:
    return (
        select(Asset.id, Asset.lat, Asset.lon,
               func.coalesce(Asset.access_hours, Site.opening_hours, ""), Asset.status)
        .join(Site, Site.id == Asset.site_id)
        .where(Asset.kind == "aed", Asset.retired_at.is_(None))
        .order_by(Asset.id)
    )


def _states(session: Session, stmt: Select[int, float, float, str, str]
            ) -> list[AedState]:
    return [AedState(aid, float(lat), float(lon), " ".join((hours or "").split()),
                     status in AVAILABLE_STATUSES)
            for aid, lat, lon, hours, status in session.execute(stmt)]


def all_states(session: Session) -> list[AedState]:
    return _states(session, _select())


def states_of(session: Session, ids: Iterable[int]) -> list[AedState]:
    wanted = sorted(set(ids))
    return [state for start in range(0, len(wanted), ID_CHUNK)
            for state in _states(session, _select().where(
                Asset.id.in_(wanted[start:start + ID_CHUNK])))]


#: Boxes per query of :func:`states_in_boxes`; above it one read of every AED is cheaper
#: than a query per few boxes.
BOXES_PER_QUERY = 50


def states_in_boxes(session: Session, boxes: Sequence[Box], step: float) -> list[AedState]:
    """The AEDs in any of these boxes, and maybe some within ``step`` degrees of one."""
    if not boxes:
        return []
    if len(boxes) <= BOXES_PER_QUERY:
        return _states(session, _select().where(or_(*(
            Asset.lat.between(b[0], b[2]) & Asset.lon.between(b[1], b[3]) for b in boxes))))
    states = all_states(session)
    lat = np.fromiter((s.lat for s in states), float, len(states))
    lon = np.fromiter((s.lon for s in states), float, len(states))
    return [s for s, inside in zip(states, in_boxes(lat, lon, boxes, step), strict=True)
            if inside]


def in_boxes(lat: np.ndarray, lon: np.ndarray, boxes: Sequence[Box],
             step: float) -> np.ndarray:
    """Which points lie in one of the boxes, or within ``step`` degrees of one: the boxes
    drawn on a raster of that step, so many boxes cost one lookup per point (never a
    point missed). The raster spans the boxes: callers keep them near one area."""
    b = np.asarray(boxes, dtype=float)
    lat0, lon0 = b[:, 0].min(), b[:, 1].min()
    r0, r1 = ((b[:, [0, 2]] - lat0) // step).astype(np.int64).T
    c0, c1 = ((b[:, [1, 3]] - lon0) // step).astype(np.int64).T
    raster = np.zeros((int(r1.max()) + 1, int(c1.max()) + 1), dtype=bool)
    for top, bottom, left, right in zip(r0, r1, c0, c1, strict=True):
        raster[top:bottom + 1, left:right + 1] = True
    rows = ((lat - lat0) // step).astype(np.int64)
    cols = ((lon - lon0) // step).astype(np.int64)
    on = (rows >= 0) & (rows < raster.shape[0]) & (cols >= 0) & (cols < raster.shape[1])
    out = np.zeros(len(lat), dtype=bool)
    out[on] = raster[rows[on], cols[on]]
    return out


def box_around(points: Iterable[tuple[float, float]], radius_m: float) -> Box | None:
    """A box holding every position within ``radius_m`` of any of the points."""
    boxes = [bbox_around(lat, lon, radius_m) for lat, lon in points]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def area_bounds(area: Iterable[Polygon]) -> Box:
    bounds = [p.bounds for p in area]
    return (min(b[0] for b in bounds), min(b[1] for b in bounds),
            max(b[2] for b in bounds), max(b[3] for b in bounds))
