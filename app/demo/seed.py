"""Builds the Yangpu riverside demo. Idempotent: a second run changes nothing.

The demo accounts get passwords made for this install (returned once, to be shown to
the person who loaded the demo, and stored only as hashes). A database that already
holds real accounts is left alone unless the caller forces it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.aeds.reconcile import reconcile
from app.aeds.refresh import AedContext
from app.demo import yangpu
from app.models import (
    Asset,
    Device,
    DeviceState,
    Gateway,
    Organisation,
    ParLevel,
    Site,
    StockLot,
    SupplyItem,
    Team,
    User,
)

DEVICE_ID = "cab-1"


class DemoRefused(Exception):
    """The database holds real accounts; loading fictional data beside them needs force."""


@dataclass
class SeedResult:
    created: bool
    organisations: int = 0
    sites: int = 0
    aeds: int = 0
    gateways: int = 0
    #: username -> password of the demo accounts created now (shown once, never stored).
    passwords: dict[str, str] = field(default_factory=dict)

    def login_lines(self) -> list[str]:
        """The demo logins created now, one line each (their only showing)."""
        return [f"  {name:<12} {password}" for name, password in self.passwords.items()]


def demo_usernames() -> list[str]:
    return [username for username, _name, _role, _team in yangpu.DEMO_USERS]


def new_demo_password() -> str:
    return secrets.token_urlsafe(12)


def real_accounts(session: Session) -> list[str]:
    """Accounts that are not the demo's own."""
    return list(session.scalars(
        select(User.username).where(User.username.not_in(demo_usernames()))
        .order_by(User.username)))


def seed_demo(
    session: Session, now: datetime, ctx: AedContext,
    *, password: str | None = None, force: bool = False,
) -> SeedResult:
    """Load the demo. ``password`` gives every demo account the same known password
    (tests, scripted demos); otherwise each gets a random one, in the result."""
    if session.scalar(select(Organisation).where(Organisation.code == yangpu.DISTRICT[0])):
        return SeedResult(created=False)
    if not force:
        real = real_accounts(session)
        if real:
            shown = ", ".join(real[:3]) + (" ..." if len(real) > 3 else "")
            raise DemoRefused(
                f"this database already holds {len(real)} real account(s) ({shown}); "
                "the demo would add fictional AEDs and demo logins beside them. "
                "Use a fresh DATABASE_URL, or --force to load it anyway.")
    today = now.astimezone(ctx.tz).date()
    result = SeedResult(created=True)

    orgs: dict[str, Organisation] = {}
    code, name, name_en = yangpu.DISTRICT
    district = Organisation(code=code, name=name, name_en=name_en, level="district")
    session.add(district)
    orgs[code] = district
    for code, name, name_en in yangpu.SUBDISTRICTS:
        orgs[code] = Organisation(
            code=code, name=name, name_en=name_en, level="subdistrict", parent=district
        )
        session.add(orgs[code])
    result.organisations = len(orgs)

    teams: dict[str, Team] = {}
    for code, name, name_en, org_code, leader in yangpu.TEAMS:
        teams[code] = Team(
            code=code, name=name, name_en=name_en, organisation=orgs[org_code],
            leader_name=leader,
        )
        session.add(teams[code])

    items: dict[str, SupplyItem] = {}
    for code, name, name_en, unit, shelf in yangpu.SUPPLY_ITEMS:
        items[code] = SupplyItem(
            code=code, name=name, name_en=name_en, unit=unit, shelf_life_days=shelf
        )
        session.add(items[code])

    session.flush()
    for demo_site in yangpu.SITES:
        site = Site(
            external_id=demo_site.code, name=demo_site.name, name_en=demo_site.name_en,
            kind=demo_site.kind, address=demo_site.address, lat=demo_site.lat,
            lon=demo_site.lon, opening_hours=demo_site.opening_hours,
            organisation=orgs[demo_site.org], team=teams[demo_site.team],
            contact_name=teams[demo_site.team].leader_name, is_fictional=True,
        )
        session.add(site)
        result.sites += 1
        for n, aed in enumerate(demo_site.aeds):
            # Spread AEDs at one site a few metres apart so map markers don't overlap.
            asset = _make_aed(aed, site, today, now, n)
            session.add(asset)
            result.aeds += 1
            if aed.gateway:
                _attach_gateway(session, aed, asset, site, now)
                result.gateways += 1
        if demo_site.first_aid_kit:
            _stock_site(session, demo_site.code, site, items, today, now)

    existing = set(session.scalars(select(User.username)))
    for username, display, role, team_code in yangpu.DEMO_USERS:
        if username in existing:
            continue  # forced over an account of that name: it stays as it is
        secret = password or new_demo_password()
        result.passwords[username] = secret
        session.add(User(
            username=username, display_name=display, role=role,
            team=teams[team_code] if team_code else None,
            password_hash=generate_password_hash(secret, method="scrypt"),
            locale="zh_CN",
        ))
    session.flush()
    # The demo's faults are facts like any other: the evaluation raises their alerts.
    reconcile(session, now, ctx)
    return result


def _make_aed(aed: yangpu.DemoAed, site: Site, today, now: datetime, n: int) -> Asset:
    pad_expiry = today + timedelta(days=aed.pad_days)
    if aed.scenario == "attention_missing_data":
        pad_expiry = None
    return Asset(
        external_id=aed.code, kind="aed", site=site, name=aed.name, name_en=aed.name_en,
        lat=round(site.lat + 0.00004 * n, 6), lon=round(site.lon + 0.00004 * n, 6),
        manufacturer=aed.manufacturer, model=aed.model,
        serial=f"DEMO-{aed.code[-3:]}-{aed.model.replace(' ', '')[:6].upper()}",
        install_date=today - timedelta(days=500), pad_expiry=pad_expiry,
        battery_expiry=today + timedelta(days=aed.battery_days),
        paediatric_pads=aed.paediatric,
        paediatric_pad_expiry=today + timedelta(days=aed.pad_days + 30) if aed.paediatric
        else None,
        indoor=aed.indoor, cabinet=aed.cabinet, access_hours=aed.access_hours,
        last_inspection_at=now - timedelta(days=aed.inspected_days_ago),
        in_use_since=now - timedelta(minutes=20) if aed.scenario == "in_use_incident" else None,
        description="演示数据:位置为虚构 · Demo data: fictional position",
    )


def _attach_gateway(
    session: Session, aed: yangpu.DemoAed, asset: Asset, site: Site, now: datetime
) -> None:
    assert aed.gateway is not None
    gateway = Gateway(
        id=aed.gateway, site=site, name=f"{site.name} 网关", report_interval_s=60,
        state="online", state_ts=now, last_seen_at=now,
    )
    device = Device(gateway=gateway, device_id=DEVICE_ID, kind="aed_cabinet", last_seen_at=now)
    session.add_all([gateway, device])
    session.flush()
    asset.device_pk = device.id
    state = DeviceState(
        device_pk=device.id, battery_pct=92, battery_expiry=asset.battery_expiry,
        pad_expiry=asset.pad_expiry, self_test="pass", temp_c=18.5, door="closed",
        aed_present=True, last_ts=now, updated_at=now,
    )
    if aed.scenario == "in_use_sensor":
        state.door, state.aed_present, state.door_opened_at = "open", False, now
    elif aed.scenario == "not_ready_selftest":
        state.self_test = "fail"
    elif aed.scenario == "attention_battery_low":
        state.battery_pct = 15
    elif aed.scenario == "not_ready_temperature":
        state.temp_c = 58.0  # a glass-fronted cabinet in the afternoon sun
    elif aed.scenario == "unknown_silent":
        silent_since = now - timedelta(hours=3)
        gateway.state, gateway.state_ts, gateway.last_seen_at = "offline", silent_since, silent_since
        device.last_seen_at = silent_since
        state.last_ts = silent_since
    session.add(state)


def _stock_site(
    session: Session, code: str, site: Site, items: dict[str, SupplyItem], today, now: datetime
) -> None:
    stock = yangpu.FASHION_STOCK if code == "fac-fashion" else yangpu.KIT_STOCK
    for item_code, (minimum, target, lots) in stock.items():
        session.add(ParLevel(site=site, item=items[item_code], minimum=minimum, target=target))
        for i, (qty, days) in enumerate(lots):
            session.add(StockLot(
                site=site, item=items[item_code], quantity=qty,
                expiry=today + timedelta(days=days) if days is not None else None,
                lot_code=f"{item_code.upper()}-{i + 1}", received_at=now,
            ))
