from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.importexport.formats import write_csv, write_geojson
from app.models import Asset, Site, Team


def site_rows(session: Session, include_fictional: bool,
              personal: bool = True) -> list[dict[str, Any]]:
    """Sites as rows; ``personal=False`` leaves contacts' names and phones out."""
    teams = {t.id: t.code for t in session.scalars(select(Team))}
    query = select(Site).order_by(Site.id)
    if not include_fictional:
        query = query.where(Site.is_fictional.is_(False))
    return [{
        "external_id": s.external_id, "name": s.name, "name_en": s.name_en, "kind": s.kind,
        "address": s.address, "lat": s.lat, "lon": s.lon, "opening_hours": s.opening_hours,
        "team_code": teams.get(s.team_id) if s.team_id else None,
        "contact_name": s.contact_name if personal else None,
        "contact_phone": s.contact_phone if personal else None,
    } for s in session.scalars(query)]


def asset_rows(session: Session, include_fictional: bool) -> list[dict[str, Any]]:
    query = select(Asset, Site).join(Site, Asset.site_id == Site.id).order_by(Asset.id)
    if not include_fictional:
        query = query.where(Site.is_fictional.is_(False))
    return [{
        "external_id": a.external_id, "site_external_id": s.external_id, "kind": a.kind,
        "name": a.name, "name_en": a.name_en, "lat": a.lat, "lon": a.lon,
        "manufacturer": a.manufacturer, "model": a.model, "serial": a.serial,
        "pad_expiry": a.pad_expiry.isoformat() if a.pad_expiry else None,
        "battery_expiry": a.battery_expiry.isoformat() if a.battery_expiry else None,
        "cabinet": a.cabinet, "access_hours": a.access_hours, "indoor": a.indoor,
        "public": a.public, "status": a.status,
    } for a, s in session.execute(query)]


def export_text(session: Session, kind: str, fmt: str, include_fictional: bool = False,
                personal: bool = True) -> str:
    rows = (asset_rows(session, include_fictional) if kind == "assets"
            else site_rows(session, include_fictional, personal))
    return write_geojson(kind, rows) if fmt == "geojson" else write_csv(kind, rows)
