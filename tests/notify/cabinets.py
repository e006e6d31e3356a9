"""Monitored AEDs whose cabinets report what happened, evaluated the way ingest does it
(app/aeds/refresh.refresh_aeds in the transaction that stores the facts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext, Refreshed, refresh_aeds
from app.models import Asset, Device, DeviceState, Site
from tests.factories import bind_device, make_aed, make_gateway

#: A cabinet with nothing to report.
CALM: dict[str, Any] = {"self_test": "pass", "temp_c": 21.0, "battery_pct": 90,
                        "door": "closed", "aed_present": True}


def taken(at: datetime) -> dict[str, Any]:
    """Door open and the AED gone: someone took it, maybe to a cardiac arrest."""
    return {"door": "open", "door_opened_at": at, "aed_present": False, "aed_removed_at": at}


def monitored_aed(db: Session, site: Site, n: int, now: datetime) -> Asset:
    """An AED with fresh pads, battery and check behind a live gateway, its cabinet calm."""
    today = now.date()
    gateway = make_gateway(db, f"gw-{n}", site, seen=now - timedelta(seconds=5))
    aed = make_aed(db, site, n, pad=today + timedelta(days=400),
                   battery=today + timedelta(days=900),
                   last_inspection_at=now - timedelta(days=1))
    bind_device(db, aed, gateway, f"cab-{n}", now - timedelta(seconds=2), **CALM)
    return aed


def report(db: Session, aeds: list[Asset], now: datetime, ctx: AedContext,
           **readings: Any) -> Refreshed:
    """The cabinets of ``aeds`` now read ``readings``; their alerts follow, uncommitted."""
    for aed in aeds:
        state = db.get(DeviceState, aed.device_pk)
        device = db.get(Device, aed.device_pk)
        assert state is not None and device is not None
        for name, value in readings.items():
            setattr(state, name, value)
        state.updated_at = device.last_seen_at = device.gateway.last_seen_at = now
    return refresh_aeds(db, [a.id for a in aeds], now, ctx)
