"""Builders for stock tests: plain rows, no demo data. Dates are local calendar days in
Shanghai, as the stock rules read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import ParLevel, Site, StockLot, SupplyItem, Team, User, utcnow
from app.models.base import Base
from tests.support.web_login import DEMO_PASSWORD

TZ = ZoneInfo("Asia/Shanghai")
#: The demo accounts' test password, so the browser tests' login helper signs them in.
PASSWORD = DEMO_PASSWORD
R = TypeVar("R", bound=Base)


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(TZ).date()


def days(n: int, today: date | None = None) -> date:
    return (today or local_today()) + timedelta(days=n)


def added(db: Session, row: R) -> R:
    db.add(row)
    db.flush()
    return row


def make_team(db: Session, code: str = "riverside") -> Team:
    return added(db, Team(code=code, name=f"{code}应急队", name_en=f"{code} team"))


def make_station(db: Session, code: str = "st-1", team: Team | None = None) -> Site:
    return added(db, Site(external_id=code, name=f"测试急救站{code}",
                          name_en=f"Test station {code}", kind="first_aid_station",
                          lat=31.27, lon=121.55, team=team))


def make_item(db: Session, code: str, name: str, name_en: str, unit: str = "片",
              shelf_life_days: int | None = 730) -> SupplyItem:
    return added(db, SupplyItem(code=code, name=name, name_en=name_en, unit=unit,
                                shelf_life_days=shelf_life_days))


def par(db: Session, site: Site, item: SupplyItem, minimum: int, target: int) -> ParLevel:
    return added(db, ParLevel(site_id=site.id, item_id=item.id, minimum=minimum,
                              target=target))


def lot(db: Session, site: Site, item: SupplyItem, quantity: int, expiry: date | None,
        code: str | None = None) -> StockLot:
    return added(db, StockLot(site_id=site.id, item_id=item.id, quantity=quantity,
                              expiry=expiry, lot_code=code, received_at=utcnow()))


def make_user(db: Session, username: str, role: str = "volunteer",
              team: Team | None = None) -> User:
    # A cheap hash: the tests log in often, and the hash method is not what they test.
    return added(db, User(
        username=username, display_name=username, role=role, team=team, locale="zh_CN",
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))


@dataclass
class Restockable:
    """A station that needs a restock: gauze short against par, an expired iodine lot,
    a saline lot expiring within the restock lead time; gloves and pins are fine."""

    site: Site
    team: Team
    items: dict[str, SupplyItem]
    expired_lot: StockLot
    expiring_lot: StockLot
    lots: dict[str, StockLot] = field(default_factory=dict)


def stock_items(db: Session) -> dict[str, SupplyItem]:
    return {
        "gauze": make_item(db, "gauze", "无菌纱布", "Sterile gauze", "片", 1095),
        "iodine": make_item(db, "iodine", "碘伏棉棒", "Iodine swabs", "支", 730),
        "saline": make_item(db, "saline", "生理盐水", "Saline", "瓶", 730),
        "gloves": make_item(db, "gloves", "一次性手套", "Gloves", "副", 1825),
        "pins": make_item(db, "pins", "安全别针", "Safety pins", "枚", None),
    }


def restockable_station(db: Session, today: date | None = None, code: str = "st-1",
                        team: Team | None = None,
                        items: dict[str, SupplyItem] | None = None) -> Restockable:
    today = today or local_today()
    team = team or make_team(db)
    site = make_station(db, code, team)
    items = items or stock_items(db)
    par(db, site, items["gauze"], 10, 20)
    par(db, site, items["iodine"], 10, 20)
    par(db, site, items["saline"], 2, 4)
    par(db, site, items["gloves"], 4, 10)
    par(db, site, items["pins"], 6, 12)
    lots = {
        "gauze": lot(db, site, items["gauze"], 4, days(400, today), "G-1"),
        "iodine": lot(db, site, items["iodine"], 15, days(300, today), "I-2"),
        "saline": lot(db, site, items["saline"], 3, days(200, today), "S-2"),
        "gloves": lot(db, site, items["gloves"], 10, days(800, today), "GL-1"),
        "pins": lot(db, site, items["pins"], 12, None),
    }
    expired = lot(db, site, items["iodine"], 10, days(-3, today), "I-1")
    expiring = lot(db, site, items["saline"], 2, days(20, today), "S-1")
    return Restockable(site, team, items, expired, expiring, lots)
