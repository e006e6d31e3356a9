"""Small builders for scheduler tests (plain rows, no demo data)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.models import Asset, ParLevel, Site, StockLot, SupplyItem, Team


def make_site(db: Session, n: int = 1, team: Team | None = None) -> Site:
    site = Site(external_id=f"site-{n}", name=f"测试站点{n}", name_en=f"Site {n}",
                kind="first_aid_station", lat=31.25, lon=121.51, team=team)
    db.add(site)
    db.flush()
    return site


def make_team(db: Session, code: str = "riverside") -> Team:
    team = Team(code=code, name="滨江应急队", name_en="Riverside team")
    db.add(team)
    db.flush()
    return team


def make_aed(db: Session, site: Site, n: int = 1, pad: date | None = None,
             battery: date | None = None) -> Asset:
    asset = Asset(external_id=f"aed-{n}", kind="aed", site_id=site.id, name=f"滨江AED{n}",
                  lat=site.lat, lon=site.lon, pad_expiry=pad, battery_expiry=battery)
    db.add(asset)
    db.flush()
    return asset


def make_item(db: Session, code: str = "gauze", name: str = "无菌纱布") -> SupplyItem:
    item = SupplyItem(code=code, name=name, name_en=code)
    db.add(item)
    db.flush()
    return item


def stock(db: Session, site: Site, item: SupplyItem, qty: int, expiry: date | None) -> StockLot:
    lot = StockLot(site_id=site.id, item_id=item.id, quantity=qty, expiry=expiry)
    db.add(lot)
    db.flush()
    return lot


def par(db: Session, site: Site, item: SupplyItem, minimum: int, target: int) -> ParLevel:
    level = ParLevel(site_id=site.id, item_id=item.id, minimum=minimum, target=target)
    db.add(level)
    db.flush()
    return level
