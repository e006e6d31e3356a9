"""Liveness, inspections due/overdue and the daily digest, with an injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.inspections_due import run_inspections_due
from app.alerts.digest import enqueue_digests
from app.extensions import get_settings
from app.gateways.liveness import run_liveness
from app.models import (
    Alert,
    Asset,
    Device,
    Gateway,
    NotificationChannel,
    NotificationLog,
    NotificationRoute,
)
from tests.scheduler.factories import make_aed, make_site, make_team

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def active(db: Session) -> list[tuple[str, str]]:
    db.expire_all()
    return sorted((a.kind, a.subject_id) for a in db.scalars(
        select(Alert).where(Alert.status != "resolved")))


def monitored(db: Session, n: int, gw: Gateway) -> tuple[Asset, Device]:
    site = make_site(db, n)
    aed = make_aed(db, site, n)
    device = Device(gateway=gw, device_id=f"cab-{n}", last_seen_at=NOW, created_at=NOW)
    db.add(device)
    db.flush()
    aed.device_pk = device.id
    return aed, device


def test_gateway_offline_and_device_silent_behind_live_gateway(app: Flask, db: Session) -> None:
    settings = get_settings(app)
    gw = Gateway(id="gw-yp-001", report_interval_s=60, last_seen_at=NOW, created_at=NOW)
    db.add(gw)
    _aed1, dev1 = monitored(db, 1, gw)
    aed2, dev2 = monitored(db, 2, gw)
    db.commit()

    assert run_liveness(db, NOW + timedelta(seconds=170), settings)["opened"] == 0
    # Gateway keeps reporting, device 2 went quiet past 3 x 60 s.
    later = NOW + timedelta(seconds=200)
    gw.last_seen_at = later
    dev1.last_seen_at = later
    db.commit()
    run_liveness(db, later, settings)
    db.commit()
    assert active(db) == [("device_silent", str(aed2.id))]
    assert db.get(Asset, aed2.id).status == "unknown"  # type: ignore[union-attr]

    # Now the whole gateway goes silent: one gateway alert, not one per device.
    much_later = later + timedelta(seconds=181)
    run_liveness(db, much_later, settings)
    db.commit()
    assert active(db) == [("gateway_offline", "gw-yp-001")]

    # Back online and every device reporting: everything clears by itself.
    back = much_later + timedelta(seconds=5)
    gw.last_seen_at = dev1.last_seen_at = dev2.last_seen_at = back
    db.commit()
    assert run_liveness(db, back, settings)["resolved"] == 1
    db.commit()
    assert active(db) == []


def test_inspection_due_then_overdue_then_cleared(app: Flask, db: Session) -> None:
    policy = get_settings(app).readiness  # monthly, "due soon" 7 days ahead
    site = make_site(db)
    aed = make_aed(db, site)
    aed.last_inspection_at = NOW - timedelta(days=20)
    db.commit()
    run_inspections_due(db, NOW, policy)
    assert active(db) == []
    run_inspections_due(db, NOW + timedelta(days=4), policy)
    run_inspections_due(db, NOW + timedelta(days=5), policy)
    db.commit()
    assert active(db) == [("inspection_due", str(aed.id))]
    run_inspections_due(db, NOW + timedelta(days=11), policy)
    db.commit()
    assert active(db) == [("inspection_overdue", str(aed.id))]
    aed.last_inspection_at = NOW + timedelta(days=11, hours=1)
    db.commit()
    assert run_inspections_due(db, NOW + timedelta(days=11, hours=2), policy)["resolved"] == 1
    db.commit()
    assert active(db) == []
    assert len(db.scalars(select(Alert)).all()) == 2


def test_daily_digest_per_team_once_per_day(app: Flask, db: Session) -> None:
    settings = get_settings(app)
    team = make_team(db)
    site = make_site(db, team=team)
    make_aed(db, site, pad=date(2026, 12, 1))
    channel = NotificationChannel(name="digest", kind="webhook",
                                  config={"url": "http://127.0.0.1:9/", "format": "dingtalk_markdown"})
    channel.routes = [NotificationRoute(team_id=team.id, digest=True)]
    db.add(channel)
    db.add(Alert(kind="pad_expiring", severity="warning", subject_type="asset", subject_id="1",
                 dedupe_key="asset:1:pad_expiring", site_id=site.id, status="open",
                 opened_at=NOW))
    db.commit()
    assert enqueue_digests(db, NOW, settings, "2026-11-29") == {"teams": 1, "messages": 1}
    assert enqueue_digests(db, NOW, settings, "2026-11-29")["messages"] == 0
    db.commit()
    [row] = db.scalars(select(NotificationLog)).all()
    assert row.event == "digest" and "电极片即将到期 · pads expiring: 1" in row.body
