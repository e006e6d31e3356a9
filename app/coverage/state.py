"""The AEDs as coverage sees them, read from what is stored: position, opening hours (the
AED's own access hours, else its site's, as the map shows them) and the cached
readiness the one evaluation keeps (app/aeds/refresh.py). Retired AEDs are gone."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select
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


def states_in(session: Session, box: Box) -> list[AedState]:
    min_lat, min_lon, max_lat, max_lon = box
    return _states(session, _select().where(Asset.lat.between(min_lat, max_lat),
                                            Asset.lon.between(min_lon, max_lon)))


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
