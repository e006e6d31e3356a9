"""One of everything people read: an AED in each readiness status, a station in each
restock state, a gateway in each link state, and an alert of every catalogue kind with
its structured ``detail`` (no stored sentence), written straight into the database.

Moments in the details are 14:44 UTC on 1 December of the local current year, which
readers in Asia/Shanghai must see as 22:44.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.alerts.catalogue import KINDS
from app.models import (
    Alert,
    Asset,
    Gateway,
    ParLevel,
    Responder,
    Site,
    StockLot,
    SupplyItem,
    Team,
    User,
)
from tests.support.web_login import login

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "texts-pass-2026"
#: Expiry stage of the kinds that have one (days of lead time, 0 once expired).
STAGES = {"pad_expiring": 30, "battery_expiring": 90, "stock_expiring": 30,
          "certificate_expiring": 30}


def local_year() -> int:
    return datetime.now(UTC).astimezone(TZ).year


def moment(year: int) -> str:
    return datetime(year, 12, 1, 14, 44, tzinfo=UTC).isoformat()


def full_detail(kind: str, year: int) -> dict[str, Any]:
    """Every detail key of ``kind`` (app/alerts/catalogue.py) with a value."""
    at = moment(year)
    details: dict[str, dict[str, Any]] = {
        "pad_expiring": {"expiry": f"{year}-12-20"},
        "pad_expired": {"expiry": f"{year}-11-28"},
        "battery_expiring": {"expiry": f"{year}-12-25"},
        "battery_expired": {"expiry": f"{year}-11-30"},
        "self_test_failed": {},
        "temperature_out_of_range": {"temp_c": 42.5, "min_c": 0, "max_c": 40},
        "battery_low": {"battery_pct": 18, "min_pct": 20},
        "cabinet_opened": {"at": at},
        "aed_in_use": {"since": at, "cause": "aed_removed"},
        "door_open_too_long": {"since": at, "limit_min": 10},
        "device_silent": {"device": "cab-01", "last_seen": at},
        "inspection_due": {"due": f"{year}-12-10"},
        "inspection_overdue": {"due": f"{year}-11-20"},
        "gateway_offline": {"last_seen": at, "cause": "will"},
        "unregistered_device": {"device": "kit-99"},
        "client_id_takeover": {},
        "stock_low": {"items": 2},
        "stock_expiring": {"lots": 3, "earliest": f"{year}-12-20"},
        "stock_expired": {"lots": 1, "earliest": f"{year}-11-30"},
        "certificate_expiring": {"expiry": f"{year}-12-28"},
        "certificate_expired": {"expiry": f"{year}-11-27"},
        "responders_below_minimum": {"responders": 1, "minimum": 2},
    }
    return details[kind]


@dataclass
class Scene:
    user: User
    aeds: dict[str, Asset]
    stations: dict[str, Site]
    gateways: dict[str, Gateway]
    alerts: dict[str, Alert]
    #: The subject of each alert kind's alert, by name in zh-CN and English.
    subjects: dict[str, tuple[str, str]]


def _station(db: Session, code: str, team: Team) -> Site:
    site = Site(external_id=f"st-{code}", name=f"急救站{code}", name_en=f"Station {code}",
                kind="first_aid_station", lat=31.26, lon=121.52, team=team)
    db.add(site)
    db.flush()
    return site


def _stock(db: Session, site: Site, item: SupplyItem, minimum: int,
           lots: list[tuple[int, date | None]]) -> None:
    db.add(ParLevel(site_id=site.id, item_id=item.id, minimum=minimum, target=minimum * 2))
    for quantity, expiry in lots:
        db.add(StockLot(site_id=site.id, item_id=item.id, quantity=quantity, expiry=expiry,
                        received_at=datetime.now(UTC)))


def build_scene(db: Session) -> Scene:
    today = datetime.now(UTC).astimezone(TZ).date()
    year = today.year
    team = Team(code="riverside", name="滨江应急队", name_en="Riverside team")
    db.add(team)
    db.flush()
    user = User(username="coord-texts", display_name="协调员", role="coordinator", team=team,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                locale="zh_CN")
    point = Site(external_id="point-1", name="秦皇岛路码头", name_en="Qinhuangdao Rd Pier",
                 kind="riverside_point", lat=31.25, lon=121.51, team=team)
    db.add_all([user, point])
    db.flush()

    aeds = {}
    for i, status in enumerate(("ready", "attention", "not_ready", "in_use", "unknown")):
        aed = Asset(external_id=f"aed-{status}", kind="aed", site_id=point.id,
                    name=f"滨江AED{i + 1}", name_en=f"Riverside AED {i + 1}",
                    lat=31.25 + i * 0.001, lon=121.51, status=status)
        db.add(aed)
        aeds[status] = aed

    gauze = SupplyItem(code="gauze", name="无菌纱布", name_en="Sterile gauze", unit="片")
    db.add(gauze)
    db.flush()
    soon, later = today + timedelta(days=10), today + timedelta(days=400)
    stations = {code: _station(db, code, team)
                for code in ("ok", "low", "expiring", "empty", "unknown")}
    _stock(db, stations["ok"], gauze, 5, [(10, later)])
    _stock(db, stations["low"], gauze, 10, [(4, later)])
    _stock(db, stations["expiring"], gauze, 5, [(5, soon)])
    _stock(db, stations["empty"], gauze, 5, [])

    gateways = {}
    for state in ("online", "offline", "unknown"):
        gw = Gateway(id=f"gw-{state}", site_id=point.id, name=f"滨江网关{state}", state=state)
        db.add(gw)
        gateways[state] = gw
    responder = Responder(name="王救护", team=team)
    db.add(responder)
    db.flush()

    subject_of = {
        "asset": (aeds["not_ready"], "asset"),
        "site": (stations["low"], "site"),
        "gateway": (gateways["offline"], "gateway"),
        "responder": (responder, "responder"),
    }
    alerts, subjects = {}, {}
    for kind in KINDS.values():
        row, subject_type = subject_of[kind.subject]
        alert = Alert(
            kind=kind.code, severity=kind.severity, subject_type=subject_type,
            subject_id=str(row.id), dedupe_key=f"{subject_type}:{row.id}:{kind.code}",
            asset_id=row.id if isinstance(row, Asset) else None,
            site_id=(row.site_id if isinstance(row, Asset | Gateway)
                     else None if isinstance(row, Responder) else row.id),
            gateway_id=row.id if isinstance(row, Gateway) else None,
            status="open", auto_resolve=kind.auto_resolve, message="",
            detail=full_detail(kind.code, year), stage=STAGES.get(kind.code),
            opened_at=datetime.now(UTC),
        )
        db.add(alert)
        alerts[kind.code] = alert
        name_en = getattr(row, "name_en", None) or row.name
        subjects[kind.code] = (str(row.name), str(name_en))
    db.commit()
    return Scene(user, aeds, stations, gateways, alerts, subjects)


def sign_in(client: FlaskClient, scene: Scene) -> tuple[FlaskClient, Scene]:
    """The scene's coordinator signed in (Chinese, the default, until a test switches)."""
    login(client, scene.user.username, PASSWORD)
    return client, scene
