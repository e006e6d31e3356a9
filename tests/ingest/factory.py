"""Registry rows and protocol payloads for ingest tests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.models import Asset, Device, Gateway, Site

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
ROOT = "aed/v1"


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def register(
    db: Session, gateway_id: str = "gw-t1", devices: tuple[str, ...] = ("dev-1",),
    now: datetime = NOW,
) -> dict[str, Asset]:
    """A site with one gateway and one monitored, otherwise healthy AED per device."""
    site = db.query(Site).filter_by(external_id="site-ingest").one_or_none()
    if site is None:
        site = Site(external_id="site-ingest", name="测试站", kind="riverside_point",
                    lat=31.26, lon=121.53)
        db.add(site)
    gateway = Gateway(id=gateway_id, site=site, report_interval_s=60, state="unknown")
    db.add(gateway)
    assets: dict[str, Asset] = {}
    for dev in devices:
        device = Device(gateway=gateway, device_id=dev)
        db.add(device)
        db.flush()
        asset = Asset(
            external_id=f"aed-{gateway_id}-{dev}", kind="aed", site=site,
            name=f"AED {gateway_id}/{dev}", lat=31.26, lon=121.53,
            pad_expiry=date(2028, 1, 1), battery_expiry=date(2029, 1, 1),
            last_inspection_at=now - timedelta(days=3), device_pk=device.id,
        )
        db.add(asset)
        assets[dev] = asset
    db.commit()
    return assets


def envelope(seq: int, session: int = 1, ts: datetime = NOW, **extra: Any) -> dict[str, Any]:
    return {"v": 1, "msg_id": f"{session}-{seq}", "session": session, "seq": seq,
            "ts": rfc3339(ts), "replay": False, **extra}


def telemetry(gw: str = "gw-t1", dev: str = "dev-1", seq: int = 1, session: int = 1,
              ts: datetime = NOW, **readings: Any) -> tuple[str, bytes]:
    body = envelope(seq, session, ts, **readings)
    return f"{ROOT}/gw/{gw}/dev/{dev}/telemetry", json.dumps(body).encode()


def event(kind: str, gw: str = "gw-t1", dev: str = "dev-1", seq: int = 1, session: int = 1,
          ts: datetime = NOW) -> tuple[str, bytes]:
    body = envelope(seq, session, ts, kind=kind)
    return f"{ROOT}/gw/{gw}/dev/{dev}/event", json.dumps(body).encode()


def heartbeat(gw: str = "gw-t1", seq: int = 1, session: int = 1, ts: datetime = NOW,
              outbox_depth: int = 0) -> tuple[str, bytes]:
    body = envelope(seq, session, ts, uptime_s=12.5, outbox_depth=outbox_depth,
                    config_version=3)
    return f"{ROOT}/gw/{gw}/heartbeat", json.dumps(body).encode()


def state(value: str, gw: str = "gw-t1", session: int = 1, ts: datetime = NOW) -> tuple[str, bytes]:
    body = {"state": value, "session": session, "ts": rfc3339(ts), "agent_version": "0.1.0"}
    return f"{ROOT}/gw/{gw}/state", json.dumps(body).encode()
