"""Assets: AEDs and first-aid kits. Readable without login (people look for an AED):
anonymous callers get what app.mapping.public_policy allows."""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.api import bp
from app.api.common import (
    bad_request,
    bool_arg,
    enum_list_arg,
    int_arg,
    iso,
    not_found,
    page_args,
    str_arg,
)
from app.api.response_cache import ResponseCache, VersionMemo
from app.extensions import db_session
from app.mapping.public_policy import asset_is_public, public_asset_body, public_asset_clause
from app.models import ASSET_KINDS, READINESS_STATUSES, Asset, Site


def asset_summary(asset: Asset, site: Site) -> dict[str, Any]:
    return {
        "id": asset.id,
        "external_id": asset.external_id,
        "kind": asset.kind,
        "name": asset.name,
        "name_en": asset.name_en,
        "site": {"id": site.id, "name": site.name, "name_en": site.name_en},
        "lat": asset.lat,
        "lon": asset.lon,
        "status": asset.status,
        "status_reasons": asset.status_reasons.split(",") if asset.status_reasons else [],
        "pad_expiry": iso(asset.pad_expiry),
        "battery_expiry": iso(asset.battery_expiry),
        "last_inspection_at": iso(asset.last_inspection_at),
        "access_hours": asset.access_hours,
        "monitored": asset.device_pk is not None,
    }


def asset_detail_body(asset: Asset, site: Site) -> dict[str, Any]:
    body = asset_summary(asset, site)
    body.update({
        "manufacturer": asset.manufacturer, "model": asset.model, "serial": asset.serial,
        "cabinet": asset.cabinet, "indoor": asset.indoor, "public": asset.public,
        "maintenance_until": iso(asset.maintenance_until),
        "in_use_since": iso(asset.in_use_since),
        "status_changed_at": iso(asset.status_changed_at),
    })
    return body


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    parts = raw.split(",")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise bad_request("'bbox' must be minLon,minLat,maxLon,maxLat.") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise bad_request("'bbox' must be four finite numbers.")
    # Map clients send corners in either order and past the antimeridian when zoomed
    # out: normalise instead of refusing.
    lons = sorted((max(-180.0, min(180.0, min_lon)), max(-180.0, min(180.0, max_lon))))
    lats = sorted((max(-90.0, min(90.0, min_lat)), max(-90.0, min(90.0, max_lat))))
    return lons[0], lats[0], lons[1], lats[1]


_cache = ResponseCache()
_version = VersionMemo()
_LIST_COLUMNS = (
    Asset.id, Asset.external_id, Asset.kind, Asset.name, Asset.name_en, Site.id, Site.name,
    Site.name_en, Asset.lat, Asset.lon, Asset.status, Asset.status_reasons, Asset.pad_expiry,
    Asset.battery_expiry, Asset.last_inspection_at, Asset.access_hours, Asset.device_pk,
)


def _row_summary(row: Any) -> dict[str, Any]:
    (aid, ext, kind, name, name_en, site_id, site_name, site_name_en, lat, lon, status,
     reasons, pad, battery, inspected, hours, device_pk) = row
    return {
        "id": aid, "external_id": ext, "kind": kind, "name": name, "name_en": name_en,
        "site": {"id": site_id, "name": site_name, "name_en": site_name_en},
        "lat": lat, "lon": lon, "status": status,
        "status_reasons": reasons.split(",") if reasons else [],
        "pad_expiry": iso(pad), "battery_expiry": iso(battery),
        "last_inspection_at": iso(inspected), "access_hours": hours,
        "monitored": device_pk is not None,
    }


@dataclass(frozen=True)
class AssetFilter:
    kinds: list[str] | None
    statuses: list[str] | None
    site_id: int | None
    team_id: int | None
    monitored: bool | None
    text: str | None
    bbox: tuple[float, float, float, float] | None

    @classmethod
    def from_request(cls) -> AssetFilter:
        raw_bbox = request.args.get("bbox")
        return cls(
            kinds=enum_list_arg("kind", ASSET_KINDS),
            statuses=enum_list_arg("status", READINESS_STATUSES),
            site_id=int_arg("site_id"), team_id=int_arg("team_id"),
            monitored=bool_arg("monitored"), text=str_arg("q"),
            bbox=parse_bbox(raw_bbox) if raw_bbox else None,
        )

    def query(self, public: bool) -> Any:
        query = select(*_LIST_COLUMNS).join(Site, Asset.site_id == Site.id).order_by(Asset.id)
        if public:
            query = query.where(public_asset_clause())
        if self.kinds:
            query = query.where(Asset.kind.in_(self.kinds))
        if self.statuses:
            query = query.where(Asset.status.in_(self.statuses))
        if self.site_id is not None:
            query = query.where(Asset.site_id == self.site_id)
        if self.team_id is not None:
            query = query.where(Site.team_id == self.team_id)
        if self.monitored is not None:
            query = query.where(
                Asset.device_pk.is_not(None) if self.monitored else Asset.device_pk.is_(None)
            )
        if self.text:
            like = f"%{self.text}%"
            query = query.where(or_(Asset.name.ilike(like), Asset.name_en.ilike(like),
                                    Asset.external_id.ilike(like)))
        if self.bbox:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            query = query.where(Asset.lat.between(min_lat, max_lat),
                                Asset.lon.between(min_lon, max_lon))
        return query


_VERSION_QUERY = select(
    func.max(Asset.updated_at), func.count(Asset.id), func.max(Asset.status_changed_at)
)


@bp.get("/assets")
def list_assets() -> ResponseReturnValue:
    page = page_args(default_limit=500, max_limit=5000)
    filters = AssetFilter.from_request()
    session = db_session()
    public = not current_user.is_authenticated
    version = _version.get(lambda: tuple(session.execute(_VERSION_QUERY).one()))
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    # The audience is part of the key: a signed-in answer is never served to the public.
    key = ("pub:" if public else "int:") + ("gz:" if gzip_ok else "id:") + (
        request.query_string.decode("latin-1"))
    body = _cache.get(key, version)
    if body is None:
        query = filters.query(public)
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = session.execute(query.limit(page.limit).offset(page.offset)).all()
        shape = (lambda r: public_asset_body(_row_summary(r))) if public else _row_summary
        body = json.dumps({
            "items": [shape(r) for r in rows], "total": int(total or 0),
            "limit": page.limit, "offset": page.offset,
        }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if gzip_ok:
            # Compressed once and cached: a 500-asset answer shrinks about tenfold.
            body = gzip.compress(body, compresslevel=6, mtime=0)
        _cache.put(key, version, body)
    response = Response(body, mimetype="application/json")
    response.vary.add("Accept-Encoding")
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    return response


@bp.get("/assets/<int:asset_id>")
def get_asset(asset_id: int) -> ResponseReturnValue:
    row = db_session().execute(
        select(Asset, Site).join(Site, Asset.site_id == Site.id).where(Asset.id == asset_id)
    ).first()
    if row is None:
        raise not_found("asset")
    body = asset_detail_body(*row)
    if current_user.is_authenticated:
        return jsonify(body)
    if not asset_is_public(row[0]):
        # Indistinguishable from a missing one: the public learns nothing of it.
        raise not_found("asset")
    return jsonify(public_asset_body(body))
