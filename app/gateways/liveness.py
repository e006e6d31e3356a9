"""Liveness: gateways silent past N× their report interval, devices silent behind a live
gateway. A silent device's AED turns `unknown` (readiness), so affected AEDs are refreshed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.status import refresh_statuses
from app.alerts.lifecycle import ACTIVE, AlertSpec, Subject, sync_alerts
from app.config import Settings
from app.models import Alert, Asset, Device, Gateway

GATEWAY_KINDS = frozenset({"gateway_offline"})
DEVICE_KINDS = frozenset({"device_silent"})


def _silent(last_seen: datetime | None, since: datetime, window: timedelta,
            now: datetime) -> bool:
    return now - (last_seen or since) > window


def run_liveness(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    policy = settings.readiness
    live: set[str] = set()
    opened = resolved = 0
    for gw in session.scalars(select(Gateway).where(Gateway.revoked.is_(False))):
        interval = gw.report_interval_s or policy.default_report_interval_s
        window = timedelta(seconds=interval * policy.liveness_intervals)
        specs = []
        if _silent(gw.last_seen_at, gw.created_at, window, now):
            seen = gw.last_seen_at.isoformat(timespec="minutes") if gw.last_seen_at else "从未 · never"
            specs.append(AlertSpec(
                "gateway_offline",
                f"网关 {gw.name or gw.id} 已离线(最后上报 {seen})· gateway offline, last seen {seen}",
                detail={"last_seen_at": gw.last_seen_at.isoformat() if gw.last_seen_at else None},
            ))
        else:
            live.add(gw.id)
        o, r = sync_alerts(session, Subject.of_gateway(gw), specs, GATEWAY_KINDS, now)
        opened += len(o)
        resolved += len(r)

    touched: list[Asset] = []
    rows = session.execute(
        select(Asset, Device, Gateway)
        .join(Device, Device.id == Asset.device_pk)
        .join(Gateway, Gateway.id == Device.gateway_id)
    ).all()
    for asset, device, gw in rows:
        interval = gw.report_interval_s or policy.default_report_interval_s
        window = timedelta(seconds=interval * policy.liveness_intervals)
        specs = []
        # Behind a silent gateway the gateway alert says it all; one alert, not N.
        if gw.id in live and _silent(device.last_seen_at, device.created_at, window, now):
            specs.append(AlertSpec(
                "device_silent",
                f"{asset.name}: 设备 {device.device_id} 无数据上报 · device {device.device_id} silent",
                detail={"device": device.device_id, "gateway": gw.id},
            ))
        o, r = sync_alerts(session, Subject.of_asset(asset), specs, DEVICE_KINDS, now)
        if o or r:
            touched.append(asset)
        opened += len(o)
        resolved += len(r)
    # Devices that went silent behind a gateway that went silent too: readiness moves.
    gone = session.scalars(
        select(Asset).join(Alert, Alert.asset_id == Asset.id)
        .where(Alert.kind == "device_silent", Alert.status.in_(ACTIVE))
    ).all()
    changed = refresh_statuses(session, {a.id: a for a in [*touched, *gone]}.values(), now,
                               policy, settings.tz)
    return {"opened": opened, "resolved": resolved, "readiness_changed": len(changed)}
