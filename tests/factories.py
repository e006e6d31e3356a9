"""Builders of plain rows for tests by subject (no demo data): sites, AEDs, gateways,
devices and what a device last reported."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import Asset, Device, DeviceState, Gateway, Site, Team


def make_team(db: Session, code: str = "riverside") -> Team:
    team = Team(code=code, name="滨江应急队", name_en="Riverside team")
    db.add(team)
    db.flush()
    return team


def make_site(db: Session, n: int = 1, team: Team | None = None,
              kind: str = "riverside_point", **values: Any) -> Site:
    site = Site(external_id=f"site-{n}", name=f"测试站点{n}", name_en=f"Site {n}", kind=kind,
                lat=31.25 + n * 0.001, lon=121.51, team=team, **values)
    db.add(site)
    db.flush()
    return site


def make_aed(db: Session, site: Site, n: int = 1, pad: date | None = None,
             battery: date | None = None, **values: Any) -> Asset:
    asset = Asset(external_id=f"aed-{n}", kind="aed", site_id=site.id, name=f"滨江AED{n}",
                  name_en=f"Riverside AED {n}", lat=site.lat, lon=site.lon, pad_expiry=pad,
                  battery_expiry=battery, **values)
    db.add(asset)
    db.flush()
    return asset


def make_gateway(db: Session, gw_id: str = "gw-1", site: Site | None = None,
                 seen: datetime | None = None, state: str = "online",
                 report_interval_s: int = 60, **values: Any) -> Gateway:
    gateway = Gateway(id=gw_id, site_id=site.id if site else None, state=state,
                      last_seen_at=seen, report_interval_s=report_interval_s,
                      created_at=seen, **values)
    db.add(gateway)
    db.flush()
    return gateway


def bind_device(db: Session, asset: Asset, gateway: Gateway, dev_id: str = "cab-1",
                seen: datetime | None = None, **reported: Any) -> Device:
    """A cabinet device behind ``gateway``, bound to ``asset``, that last reported
    ``reported`` (DeviceState columns) at ``seen``."""
    device = Device(gateway_id=gateway.id, device_id=dev_id, last_seen_at=seen,
                    created_at=seen)
    db.add(device)
    db.flush()
    asset.device_pk = device.id
    if reported:
        db.add(DeviceState(device_pk=device.id, updated_at=seen, **reported))
    db.flush()
    return device
