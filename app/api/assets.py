from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api import bp
from app.extensions import db_session
from app.models import Asset, Site


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
        "pad_expiry": asset.pad_expiry.isoformat() if asset.pad_expiry else None,
        "battery_expiry": asset.battery_expiry.isoformat() if asset.battery_expiry else None,
        "last_inspection_at": (
            asset.last_inspection_at.isoformat() if asset.last_inspection_at else None
        ),
        "access_hours": asset.access_hours,
        "monitored": asset.device_pk is not None,
    }


@bp.get("/assets")
def list_assets() -> ResponseReturnValue:
    query = select(Asset, Site).join(Site, Asset.site_id == Site.id).order_by(Asset.id)
    kind = request.args.get("kind")
    if kind:
        query = query.where(Asset.kind == kind)
    status = request.args.get("status")
    if status:
        query = query.where(Asset.status.in_(status.split(",")))
    rows = db_session().execute(query).all()
    items = [asset_summary(asset, site) for asset, site in rows]
    return jsonify({"items": items, "total": len(items)})
