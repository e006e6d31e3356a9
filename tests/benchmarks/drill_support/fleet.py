"""The registered fleet: the Yangpu demo (loaded with `flask --app app seed-demo`) plus
the drill's own rows, made as a registry edit would: gateways with their report
interval, one device per AED cabinet, AEDs that are ready (pads and battery far from
expiry, checked two days ago), first-aid stations stocked above par, and the channel
and route that send every alert to the drill's SMTP server.

The AEDs stand at the demo's sites, so alerts have a team in charge as in real use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Asset,
    Device,
    DeviceState,
    Gateway,
    ParLevel,
    Site,
    StockLot,
    SupplyItem,
    Team,
)
from app.notify.config_file import sync_channels_file

#: Items stocked at the drill's stations: code -> (minimum, target, quantity in one lot).
STATION_STOCK: dict[str, tuple[int, int, int]] = {"plaster": (10, 20, 16), "gloves": (4, 10, 8)}
#: Far beyond every stock lead time (90 days), so a station starts without alerts.
LOT_DAYS = 500


@dataclass(frozen=True)
class GatewaySpec:
    gateway_id: str
    devices: tuple[str, ...]
    label: str
    #: Device state written before ingest starts (a fault already present): device ->
    #: readings. The AED's cached status is left `ready` and no alert is written, as in a
    #: database seeded or restored behind the system's back.
    pre_state: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Station:
    label: str
    site_id: int
    lot_ids: dict[str, int]


@dataclass
class FleetRows:
    #: (gateway id, device id) -> asset id of the AED in that cabinet.
    aed_of: dict[tuple[str, str], int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)


def _places(session: Session) -> list[Site]:
    """Demo sites where an AED can hang (not the first-aid stations)."""
    sites = list(session.scalars(select(Site).where(Site.kind != "first_aid_station")
                                 .order_by(Site.id)))
    if not sites:
        raise RuntimeError("no demo sites: did seed-demo run?")
    return sites


def add_gateways(session: Session, specs: list[GatewaySpec], interval_s: int, now: datetime,
                 today: date, rows: FleetRows) -> None:
    sites = _places(session)
    for n, spec in enumerate(specs):
        site = sites[n % len(sites)]
        gateway = Gateway(id=spec.gateway_id, site_id=site.id, name=f"演练网关 {spec.label}",
                          report_interval_s=interval_s, created_at=now)
        session.add(gateway)
        for k, dev in enumerate(spec.devices):
            device = Device(gateway=gateway, device_id=dev, kind="aed_cabinet", created_at=now)
            session.add(device)
            session.flush()
            label = spec.label if len(spec.devices) == 1 else f"{spec.label}/{dev}"
            asset = Asset(
                external_id=f"drill-{spec.gateway_id}-{dev}", kind="aed", site_id=site.id,
                name=f"演练 AED {label}", name_en=f"Drill AED {label}",
                lat=round(site.lat + 0.0002 * (k + 1), 6),
                lon=round(site.lon + 0.0002 * ((n % 7) + 1), 6),
                manufacturer="Philips", model="HeartStart FRx", serial=f"DRILL-{n}-{k}",
                install_date=today - timedelta(days=200),
                pad_expiry=today + timedelta(days=700),
                battery_expiry=today + timedelta(days=900),
                last_inspection_at=now - timedelta(days=2), device_pk=device.id,
                status="unknown", created_at=now,
            )
            session.add(asset)
            session.flush()
            rows.aed_of[(spec.gateway_id, dev)] = asset.id
            rows.names[asset.id] = label
            if dev in spec.pre_state:
                _pre_state(session, gateway, device, asset, spec.pre_state[dev], interval_s,
                           now)


def _pre_state(session: Session, gateway: Gateway, device: Device, asset: Asset,
               readings: dict[str, Any], interval_s: int, now: datetime) -> None:
    """A device heard a report interval ago, its stored state already faulty, its AED
    still shown `ready` and no alert open: what ingest finds when it starts."""
    heard = now - timedelta(seconds=interval_s)
    gateway.state, gateway.state_session, gateway.state_ts = "online", 1, heard
    gateway.last_seen_at = heard
    device.last_seen_at = heard
    session.add(DeviceState(device_pk=device.id, last_session=None, last_seq=None,
                            last_ts=heard, field_marks=None, updated_at=heard, **readings))
    asset.status = "ready"
    asset.status_changed_at = heard


def add_stations(session: Session, labels: list[str], now: datetime, today: date,
                 rows: FleetRows) -> None:
    items = {i.code: i for i in session.scalars(
        select(SupplyItem).where(SupplyItem.code.in_(STATION_STOCK)))}
    team = session.scalars(select(Team).order_by(Team.id)).first()
    anchor = _places(session)[0]
    for n, label in enumerate(labels):
        site = Site(external_id=f"drill-station-{label}", name=f"演练急救站 {label}",
                    name_en=f"Drill first-aid station {label}", kind="first_aid_station",
                    lat=round(anchor.lat + 0.001 * (n + 1), 6), lon=anchor.lon,
                    team_id=team.id if team else None, is_fictional=True)
        session.add(site)
        session.flush()
        lots: dict[str, int] = {}
        for code, (minimum, target, quantity) in STATION_STOCK.items():
            session.add(ParLevel(site_id=site.id, item_id=items[code].id, minimum=minimum,
                                 target=target))
            lot = StockLot(site_id=site.id, item_id=items[code].id, quantity=quantity,
                           expiry=today + timedelta(days=LOT_DAYS),
                           lot_code=f"DRILL-{label}-{code}", received_at=now)
            session.add(lot)
            session.flush()
            lots[code] = lot.id
        rows.stations[label] = Station(label, site.id, lots)


def write_channels(path: Path, smtp_port: int) -> Path:
    """One email channel to the drill's SMTP server, routed every alert (no quiet
    hours), in the file format the scheduler syncs at start."""
    path.write_text(
        "[[channel]]\n"
        'name = "drill-mail"\n'
        'kind = "email"\n'
        'host = "127.0.0.1"\n'
        f"port = {smtp_port}\n"
        'sender = "aed-drill@localhost"\n'
        'to = ["coordinators@localhost"]\n'
        'locale = "en"\n'
        "  [[channel.route]]\n"
        '  min_severity = "info"\n', encoding="utf-8")
    return path


def sync_channels(session: Session, path: Path) -> int:
    """The scheduler does this at start; ingest's notifier reads the rows, so they must
    be in the database before ingest raises its first alert."""
    return sync_channels_file(session, path)
