"""Silence, on time: the deadline job notices a gateway or device gone quiet at its
deadline, and the AEDs behind a dead gateway show `unknown` in the same transaction
as the gateway's alert, on the API and the map."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Asset, Device, Gateway
from tests.factories import bind_device, make_aed, make_gateway, make_site

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=180)  # 3 x 60 s


def _fleet(db: Session) -> tuple[list[Asset], list[Asset]]:
    """Two AEDs behind gw-a, one behind gw-b, all heard at T0, checked a day ago."""
    fresh = T0.date() + timedelta(days=400)
    gw_a = make_gateway(db, "gw-a", seen=T0)
    gw_b = make_gateway(db, "gw-b", seen=T0)
    behind_a, behind_b = [], []
    for n, gateway, group in ((1, gw_a, behind_a), (2, gw_a, behind_a), (3, gw_b, behind_b)):
        aed = make_aed(db, make_site(db, n), n, pad=fresh, battery=fresh,
                       last_inspection_at=T0 - timedelta(days=1))
        bind_device(db, aed, gateway, f"cab-{n}", T0, self_test="pass", temp_c=20.0,
                    battery_pct=90, door="closed", aed_present=True)
        group.append(aed)
    db.commit()
    return behind_a, behind_b


@pytest.fixture
def seeded_fleet(db: Session, runner: FlaskCliRunner) -> tuple[list[Asset], list[Asset]]:
    fleet = _fleet(db)
    _run(runner, "reconcile", T0 + timedelta(seconds=5))
    return fleet


def _run(runner: FlaskCliRunner, job: str, when: datetime) -> dict[str, object]:
    result = runner.invoke(args=["jobs", "run-once", job, "--now", when.isoformat()])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])["summary"]


def test_deadline_job_says_when_the_next_silence_falls_due(runner: FlaskCliRunner,
                                                           db: Session) -> None:
    _fleet(db)
    summary = _run(runner, "reconcile", T0 + timedelta(seconds=5))
    assert summary["status_moved"] == 3  # never evaluated: now ready
    deadlines = _run(runner, "deadlines", T0 + timedelta(seconds=10))
    # The gateways fall silent first (the devices' moment is a second later).
    assert deadlines["next_due"] == (T0 + WINDOW).isoformat()
    assert deadlines["opened"] == 0


def test_a_silent_gateway_turns_its_aeds_unknown_with_its_alert(
    seeded_fleet: tuple[list[Asset], list[Asset]], runner: FlaskCliRunner, db: Session,
    client: FlaskClient,
) -> None:
    behind_a, behind_b = seeded_fleet
    # gw-b keeps talking; gw-a falls silent after T0.
    later = T0 + WINDOW + timedelta(seconds=1)
    gw_b = db.get(Gateway, "gw-b")
    assert gw_b is not None
    gw_b.last_seen_at = later
    for device in db.scalars(select(Device).where(Device.gateway_id == "gw-b")):
        device.last_seen_at = later
    db.commit()

    summary = _run(runner, "deadlines", later)
    assert summary["gateways"] == 1
    db.expire_all()
    alert = db.scalar(select(Alert).where(Alert.kind == "gateway_offline",
                                          Alert.status == "open"))
    assert alert is not None and alert.gateway_id == "gw-a"
    assert alert.detail is not None and alert.detail["cause"] == "silent"
    for aed in behind_a:
        row = db.get(Asset, aed.id)
        assert row is not None and row.status == "unknown"
        # The same transaction (the same clock reading) as the gateway's alert.
        assert row.status_changed_at == alert.opened_at
        body = client.get(f"/api/v1/assets/{aed.id}").get_json()
        assert body["status"] == "unknown"
    assert db.get(Asset, behind_b[0].id).status == "ready"  # type: ignore[union-attr]
    # One alert for the gateway, none per AED behind it.
    assert not list(db.scalars(select(Alert).where(Alert.kind == "device_silent")))


def test_a_device_silent_behind_a_live_gateway(
    seeded_fleet: tuple[list[Asset], list[Asset]], runner: FlaskCliRunner, db: Session,
) -> None:
    behind_a, _ = seeded_fleet
    later = T0 + WINDOW + timedelta(seconds=1)
    for gw_id in ("gw-a", "gw-b"):
        gateway = db.get(Gateway, gw_id)
        assert gateway is not None
        gateway.last_seen_at = later
    quiet = behind_a[0].device_pk
    for device in db.scalars(select(Device).where(Device.id != quiet)):
        device.last_seen_at = later
    db.commit()
    _run(runner, "deadlines", later)
    db.expire_all()
    alerts = [(a.kind, a.asset_id) for a in db.scalars(select(Alert).where(
        Alert.status == "open"))]
    assert alerts == [("device_silent", behind_a[0].id)]
    assert db.get(Asset, behind_a[0].id).status == "unknown"  # type: ignore[union-attr]


def test_map_shows_unknown_for_aeds_behind_a_dead_gateway(
    seeded_fleet: tuple[list[Asset], list[Asset]], runner: FlaskCliRunner, app: Flask,
) -> None:
    behind_a, _ = seeded_fleet
    _run(runner, "deadlines", T0 + timedelta(hours=1))
    features = app.test_client().get(
        "/api/v1/map-features?bbox=121.0,31.0,122.0,32.0&kind=aed").get_json()
    statuses = {str(row[0]): row[4] for row in features["rows"]}
    assert all(statuses[str(a.id)] == "unknown" for a in behind_a)
