"""Turns stored rows into readiness facts and keeps each asset's cached status current."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.readiness import Readiness, ReadinessFacts, compute_readiness
from app.config import ReadinessPolicy
from app.models import Asset, Device, DeviceState, Gateway


def facts_for(
    asset: Asset, state: DeviceState | None, device: Device | None, gateway: Gateway | None
) -> ReadinessFacts:
    monitored = device is not None
    # A device reading of the expiry wins over the registry only when it is present;
    # the registry date is what a volunteer last recorded.
    pad_expiry = asset.pad_expiry
    battery_expiry = asset.battery_expiry
    if state is not None:
        pad_expiry = state.pad_expiry or pad_expiry
        battery_expiry = state.battery_expiry or battery_expiry
    if asset.paediatric_pads and asset.paediatric_pad_expiry is not None and pad_expiry:
        pad_expiry = min(pad_expiry, asset.paediatric_pad_expiry)
    return ReadinessFacts(
        pad_expiry=pad_expiry,
        battery_expiry=battery_expiry,
        last_inspection_at=asset.last_inspection_at,
        install_date=asset.install_date,
        inspection_interval_days=asset.inspection_interval_days,
        in_use_since=asset.in_use_since,
        monitored=monitored,
        device_last_seen_at=device.last_seen_at if device else None,
        report_interval_s=gateway.report_interval_s if gateway else None,
        battery_pct=state.battery_pct if state else None,
        self_test=state.self_test if state else None,
        temp_c=state.temp_c if state else None,
        door=state.door if state else None,
        aed_present=state.aed_present if state else None,
    )


def refresh_statuses(
    session: Session,
    assets: Iterable[Asset],
    now: datetime,
    policy: ReadinessPolicy,
    tz: ZoneInfo,
) -> list[tuple[Asset, Readiness, str]]:
    """Recompute and store readiness; returns (asset, readiness, previous status) for
    every asset whose status or reasons changed."""
    assets = [a for a in assets if a.kind == "aed"]
    device_pks = [a.device_pk for a in assets if a.device_pk is not None]
    devices: dict[int, Device] = {}
    states: dict[int, DeviceState] = {}
    gateways: dict[str, Gateway] = {}
    if device_pks:
        for dev in session.scalars(select(Device).where(Device.id.in_(device_pks))):
            devices[dev.id] = dev
        for st in session.scalars(
            select(DeviceState).where(DeviceState.device_pk.in_(device_pks))
        ):
            states[st.device_pk] = st
        gw_ids = {d.gateway_id for d in devices.values()}
        for gw in session.scalars(select(Gateway).where(Gateway.id.in_(gw_ids))):
            gateways[gw.id] = gw
    local_today = now.astimezone(tz).date()
    changed: list[tuple[Asset, Readiness, str]] = []
    for asset in assets:
        device = devices.get(asset.device_pk) if asset.device_pk is not None else None
        state = states.get(asset.device_pk) if asset.device_pk is not None else None
        gateway = gateways.get(device.gateway_id) if device else None
        result = compute_readiness(
            facts_for(asset, state, device, gateway), now, policy, local_today
        )
        reasons = result.reason_text or None
        if asset.status != result.status or asset.status_reasons != reasons:
            previous = asset.status
            if asset.status != result.status:
                asset.status_changed_at = now
            asset.status = result.status
            asset.status_reasons = reasons
            changed.append((asset, result, previous))
    return changed


def refresh_all(
    session: Session, now: datetime, policy: ReadinessPolicy, tz: ZoneInfo
) -> list[tuple[Asset, Readiness, str]]:
    assets = session.scalars(select(Asset).where(Asset.kind == "aed")).all()
    return refresh_statuses(session, assets, now, policy, tz)
