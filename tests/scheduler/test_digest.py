"""The daily digest, with an injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.digest import enqueue_digests
from app.extensions import get_settings
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
    assert row.event == "digest" and "电极片即将过期: 1" in row.body
