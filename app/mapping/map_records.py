"""Domain objects to map records (maps.records.MapRecord): the app's side of the map.

Three layers:

- AEDs by readiness: the cached ``Asset.status`` that the one readiness service keeps
  (app/aeds/refresh.py); nothing is recomputed here.
- First-aid stations by restock state: sites with par levels, kits or of kind
  ``first_aid_station``, classed from the scheduler's shortage query
  (app/stock/shortage.py), so the map and the restock alerts never disagree.
- Gateways: offline when their retained state says so or the liveness job holds an
  open ``gateway_offline`` alert on them (the liveness rule is not re-implemented).

Rows are read as plain column tuples (no ORM objects), so 10,000 records cost one query
per layer. ``public=True`` reads no contact columns at all, keeps only public AEDs and
stations, drops gateways and links to the public page instead of the internal ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.policy import AlertPolicy
from app.mapping.public_policy import public_asset_clause
from app.mapping.statuses import AED, family
from app.models import Alert, Asset, Gateway, Inspection, ParLevel, Site, Team
from app.stock.shortage import shortage_query
from maps.records import KINDS, MapRecord

#: A WGS-84 box (min_lat, min_lon, max_lat, max_lon), as maps.payload.parse_bbox gives.
Box = tuple[float, float, float, float]

STATION_SITE_KIND = "first_aid_station"
PUBLIC_LINK = "/assets"


@dataclass(frozen=True)
class MapQuery:
    """What to show: the audience, the language of labels and an optional box."""

    public: bool = False
    #: Contacts' names and phones (personal data: coordinators and admins only).
    contacts: bool = False
    locale: str = "zh_CN"
    box: Box | None = None
    kinds: Sequence[str] = KINDS
    show_online_gateways: bool = False

    @property
    def with_contacts(self) -> bool:
        return self.contacts and not self.public


def _label(name: str, name_en: str | None, locale: str) -> str:
    return name_en if locale == "en" and name_en else name


def _contact(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _in_box(lat: Any, lon: Any, box: Box | None) -> list[Any]:
    if box is None:
        return []
    min_lat, min_lon, max_lat, max_lon = box
    return [lat.between(min_lat, max_lat), lon.between(min_lon, max_lon)]


# --- AEDs -----------------------------------------------------------------------------

def _aed_select(q: MapQuery) -> Select[Any]:
    columns: list[Any] = [
        Asset.id, Asset.name, Asset.name_en, Asset.lat, Asset.lon, Asset.status,
        Asset.pad_expiry, Asset.battery_expiry, Asset.last_inspection_at,
        func.coalesce(Asset.access_hours, Site.opening_hours), Asset.description,
        Asset.public,
    ]
    if q.with_contacts:
        columns += [Site.contact_name, Site.contact_phone]
    stmt = (
        select(*columns).join(Site, Site.id == Asset.site_id)
        .where(Asset.kind == "aed", *_in_box(Asset.lat, Asset.lon, q.box))
        .where(Asset.retired_at.is_(None))  # retired AEDs leave every map
    )
    if q.public:
        stmt = stmt.where(public_asset_clause())
    return stmt


def _aed_urgency() -> Any:
    return case(AED.ranks, value=Asset.status, else_=AED.rank(None))


def aed_records(session: Session, q: MapQuery, limit: int | None = None) -> list[MapRecord]:
    """AEDs as map records; with ``limit``, the most urgent first."""
    stmt = _aed_select(q)
    if limit is not None:
        stmt = stmt.order_by(_aed_urgency(), Asset.id).limit(limit)
    out = []
    for row in session.execute(stmt):
        (aid, name, name_en, lat, lon, status, pad, battery, checked, hours, desc,
         public) = row[:12]
        out.append(MapRecord(
            id=str(aid), kind="aed", lat=lat, lon=lon, status=status,
            label=_label(name, name_en, q.locale),
            link=PUBLIC_LINK if q.public else f"/assets/{aid}",
            pad_expiry=pad, battery_expiry=battery, last_check=checked,
            access_hours=hours or "", description=desc or "",
            contact=_contact(row[12], row[13]) if q.with_contacts else "",
            public=bool(public),
        ))
    return out


def count_aeds(session: Session, q: MapQuery) -> int:
    stmt = select(func.count()).select_from(_aed_select(q).subquery())
    return int(session.scalar(stmt) or 0)


# --- first-aid stations ---------------------------------------------------------------

def _is_station() -> Any:
    # A retired site, or one whose only kit is retired, is no station on the map.
    return and_(Site.retired_at.is_(None), or_(
        Site.kind == STATION_SITE_KIND,
        exists().where(ParLevel.site_id == Site.id),
        exists().where(Asset.site_id == Site.id, Asset.kind == "first_aid_kit",
                       Asset.retired_at.is_(None)),
    ))


def station_status(shortages: Iterable[tuple[int, int, int]], has_par: bool) -> str:
    """Restock state from a station's short items ``(usable, expiring, minimum)``.

    ``empty``: some item has nothing left at all; ``low``: some item is below its
    minimum even counting lots about to expire; ``expiring``: short only because lots
    expire within the restock lead time; ``ok``: nothing short; ``unknown``: no par
    levels, so nothing to judge by."""
    rows = list(shortages)
    if not rows:
        return "ok" if has_par else "unknown"
    if any(usable + expiring <= 0 for usable, expiring, _ in rows):
        return "empty"
    if any(usable + expiring < minimum for usable, expiring, minimum in rows):
        return "low"
    return "expiring"


def station_statuses(
    session: Session, site_ids: Sequence[int], today: date, policy: AlertPolicy
) -> dict[int, str]:
    """The restock state of each of these stations (the map's and the site page's)."""
    with_par = set(session.scalars(
        select(ParLevel.site_id).where(ParLevel.site_id.in_(site_ids)).distinct()))
    short: dict[int, list[tuple[int, int, int]]] = {}
    for site_id, _item, usable, expiring, minimum, _target in session.execute(
        shortage_query(today, policy, list(site_ids))
    ):
        short.setdefault(site_id, []).append((usable, expiring, minimum))
    return {sid: station_status(short.get(sid, ()), sid in with_par) for sid in site_ids}


def station_status_of(
    session: Session, site_id: int, today: date, policy: AlertPolicy
) -> str | None:
    """A site's restock state, or None when the site is no first-aid station."""
    if session.scalar(select(Site.id).where(Site.id == site_id, _is_station())) is None:
        return None
    return station_statuses(session, [site_id], today, policy)[site_id]


def station_records(
    session: Session, q: MapQuery, today: date, policy: AlertPolicy
) -> list[MapRecord]:
    columns: list[Any] = [Site.id, Site.name, Site.name_en, Site.lat, Site.lon,
                          Site.opening_hours, Site.address]
    if q.with_contacts:
        columns += [Site.contact_name, Site.contact_phone, Team.leader_name, Team.contact_phone]
    stmt = (
        select(*columns).outerjoin(Team, Team.id == Site.team_id)
        .where(_is_station(), *_in_box(Site.lat, Site.lon, q.box)).order_by(Site.id)
    )
    sites = session.execute(stmt).all()
    if not sites:
        return []
    ids = [row[0] for row in sites]
    statuses = station_statuses(session, ids, today, policy)
    checked = dict(session.execute(
        select(Inspection.site_id, func.max(Inspection.performed_at))
        .where(Inspection.site_id.in_(ids)).group_by(Inspection.site_id)
    ).all())
    out = []
    for row in sites:
        sid, name, name_en, lat, lon, hours, address = row[:7]
        contact = _contact(row[7] or row[9], row[8] or row[10]) if q.with_contacts else ""
        out.append(MapRecord(
            id=str(sid), kind="station", lat=lat, lon=lon,
            status=statuses[sid],
            label=_label(name, name_en, q.locale),
            link=PUBLIC_LINK if q.public else f"/sites/{sid}",
            last_check=checked.get(sid), access_hours=hours or "",
            description=address or "", contact=contact, public=True,
        ))
    return out


# --- gateways -------------------------------------------------------------------------

def gateway_status(state: str | None, alarmed: bool) -> str:
    if alarmed or state in ("offline", "stopped"):
        return "offline"
    return "online" if state == "online" else "unknown"


def _alarmed() -> Any:
    """The liveness job holds an open ``gateway_offline`` alert on the gateway."""
    return exists().where(
        Alert.gateway_id == Gateway.id, Alert.kind == "gateway_offline",
        Alert.status.in_(ACTIVE_STATES),
    )


def gateway_statuses(session: Session, gateway_ids: Sequence[str]) -> dict[str, str]:
    """The link state of each of these gateways (the map's and the gateway page's)."""
    rows = session.execute(
        select(Gateway.id, Gateway.state, _alarmed()).where(Gateway.id.in_(gateway_ids)))
    return {gid: gateway_status(state, bool(alarmed)) for gid, state, alarmed in rows}


def gateway_records(session: Session, q: MapQuery) -> list[MapRecord]:
    """Gateways at their site's position; never on the public map."""
    if q.public:
        return []
    stmt = (
        select(Gateway.id, Gateway.name, Gateway.state, Gateway.last_seen_at, Site.lat,
               Site.lon, Site.contact_name, Site.contact_phone, _alarmed())
        .join(Site, Site.id == Gateway.site_id)
        .where(Gateway.revoked.is_(False), *_in_box(Site.lat, Site.lon, q.box))
        .order_by(Gateway.id)
    )
    out = []
    for gid, name, state, seen, lat, lon, cname, cphone, is_alarmed in session.execute(stmt):
        status = gateway_status(state, bool(is_alarmed))
        if status == "online" and not q.show_online_gateways:
            continue
        out.append(MapRecord(
            id=gid, kind="gateway", lat=lat, lon=lon, status=status,
            label=name or gid, link="/gateways", last_check=seen,
            contact=_contact(cname, cphone) if q.with_contacts else "", public=False,
        ))
    return out


# --- all layers -----------------------------------------------------------------------

def map_records(
    session: Session, q: MapQuery, today: date, policy: AlertPolicy,
    limit: int | None = None,
) -> tuple[list[MapRecord], int]:
    """Records of the requested kinds and the number that matched before ``limit``.

    With a limit the result keeps the most urgent statuses (stations and offline
    gateways, which are few, compete with AEDs by urgency)."""
    records: list[MapRecord] = []
    total = 0
    if "station" in q.kinds:
        stations = station_records(session, q, today, policy)
        records += stations
        total += len(stations)
    if "gateway" in q.kinds:
        gateways = gateway_records(session, q)
        records += gateways
        total += len(gateways)
    if "aed" in q.kinds:
        if limit is None:
            records += aed_records(session, q)
            total = len(records)
        else:
            aeds = aed_records(session, q, limit)
            records += aeds
            total += len(aeds) if len(aeds) < limit else count_aeds(session, q)
    if limit is not None and len(records) > limit:
        records.sort(key=lambda r: family(r.kind).rank(r.status))
        records = records[:limit]
    return records, total


def count_map_records(session: Session, q: MapQuery) -> int:
    """A cheap upper bound of how many records a page would carry (decides embed or bbox)."""
    total = count_aeds(session, q) if "aed" in q.kinds else 0
    if "station" in q.kinds:
        total += int(session.scalar(select(func.count(Site.id)).where(_is_station())) or 0)
    if "gateway" in q.kinds and not q.public:
        total += int(session.scalar(
            select(func.count(Gateway.id)).where(Gateway.revoked.is_(False),
                                                 and_(Gateway.site_id.is_not(None)))) or 0)
    return total
