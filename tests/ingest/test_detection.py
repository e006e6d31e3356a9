"""Detection through gateway messages: the alert comes from the same transaction that
stored the fact, whatever arrived before; one opening tells one story; the last will
turns its AEDs unknown at once; a fault already present alerts on the first report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.deadlines import run_deadlines
from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.devices import BatchOutcome, FactsConfig, RawMessage, apply_batch
from app.extensions import get_db, get_settings
from app.models import Alert, Asset, AuditLog, Device, DeviceState, Gateway
from tests.ingest.factory import NOW, event, register, state, telemetry

HEALTHY = {"battery_pct": 90, "self_test": "pass", "temp_c": 21.0, "door": "closed",
           "aed_present": True}
Apply = Callable[..., BatchOutcome]


@pytest.fixture
def cfg(app: Flask) -> FactsConfig:
    return FactsConfig(aeds=AedContext.of(get_settings(app), AlertPolicy()))


@pytest.fixture
def apply(db: Session, cfg: FactsConfig) -> Apply:
    def run(*messages: tuple[str, bytes], now=NOW) -> BatchOutcome:
        out = apply_batch(db, [RawMessage(t, p, now) for t, p in messages], now, cfg)
        db.commit()
        return out

    return run


def open_alerts(db: Session) -> list[tuple[str, str]]:
    db.expire_all()
    return sorted((a.kind, a.subject_id) for a in db.scalars(
        select(Alert).where(Alert.status != "resolved")))


def status(db: Session, asset: Asset) -> str:
    db.expire_all()
    row = db.get(Asset, asset.id)
    assert row is not None
    return row.status


def test_the_alert_is_committed_with_the_fact_that_raised_it(
    app: Flask, db: Session, cfg: FactsConfig
) -> None:
    aed = register(db)["dev-1"]
    outside = get_db(app).session_factory()
    try:
        raws = [RawMessage(*telemetry(seq=1, **{**HEALTHY, "self_test": "fail"}), NOW)]
        out = apply_batch(db, raws, NOW, cfg)
        # Inside the transaction: the reading and its alert, together.
        assert out.alerts_opened == 1
        assert db.scalar(select(Alert.kind).where(Alert.asset_id == aed.id)) == (
            "self_test_failed")
        # Outside it, neither, until the commit.
        assert outside.scalar(select(Alert.id)) is None
        assert outside.scalar(select(DeviceState.self_test)) is None
        db.commit()
        outside.expire_all()
        assert outside.scalar(select(Alert.kind)) == "self_test_failed"
        assert outside.scalar(select(DeviceState.self_test)) == "fail"
    finally:
        outside.close()


def test_a_fault_already_stored_alerts_on_the_first_report(db: Session, apply: Apply) -> None:
    aed = register(db)["dev-1"]
    # A device state showing 58 °C and a failed self-test, written before this ingest
    # process started (no alert anywhere), and the device reports the same values.
    device = db.scalars(select(Device)).one()
    db.add(DeviceState(device_pk=device.id, **{**HEALTHY, "temp_c": 58.0,
                                               "self_test": "fail"}))
    db.commit()
    apply(telemetry(seq=1, **{**HEALTHY, "temp_c": 58.0, "self_test": "fail"}))
    assert open_alerts(db) == [("self_test_failed", str(aed.id)),
                               ("temperature_out_of_range", str(aed.id))]
    assert status(db, aed) == "not_ready"


def test_a_device_reported_expiry_raises_its_staged_alert(db: Session, apply: Apply) -> None:
    aeds = register(db, devices=("dev-1", "dev-2", "dev-3"))
    today = (NOW + timedelta(hours=8)).date()  # Shanghai
    apply(telemetry(dev="dev-1", seq=1, **HEALTHY,
                    pad_expiry=(today - timedelta(days=1)).isoformat()),
          telemetry(dev="dev-2", seq=2, **HEALTHY,
                    pad_expiry=(today + timedelta(days=29)).isoformat()),
          telemetry(dev="dev-3", seq=3, **HEALTHY,
                    battery_expiry=(today - timedelta(days=3)).isoformat()))
    db.expire_all()
    alerts = {(a.kind, a.asset_id, a.stage) for a in db.scalars(select(Alert))}
    assert alerts == {("pad_expired", aeds["dev-1"].id, 0),
                      ("pad_expiring", aeds["dev-2"].id, 30),
                      ("battery_expired", aeds["dev-3"].id, 0)}


def test_one_opening_one_story(db: Session, apply: Apply, cfg: FactsConfig) -> None:
    aed = register(db)["dev-1"]
    apply(telemetry(seq=1, **HEALTHY))
    apply(event("door_opened", seq=2))
    assert open_alerts(db) == [("cabinet_opened", str(aed.id))]
    apply(event("aed_removed", seq=3), now=NOW + timedelta(seconds=20))
    assert open_alerts(db) == [("aed_in_use", str(aed.id))]
    assert status(db, aed) == "in_use"
    # Half an hour later the door is still open: still only the incident.
    later = NOW + timedelta(minutes=30)
    apply(telemetry(seq=4, ts=later, **{**HEALTHY, "door": "open", "aed_present": False}),
          now=later)
    run_deadlines(db, later, cfg.aeds)
    db.commit()
    assert open_alerts(db) == [("aed_in_use", str(aed.id))]
    superseded = db.scalar(select(Alert).where(Alert.kind == "cabinet_opened"))
    assert superseded is not None and superseded.resolution == "superseded by aed_in_use"


def test_an_opening_in_maintenance_raises_nothing_and_is_logged(db: Session,
                                                                apply: Apply) -> None:
    aed = register(db)["dev-1"]
    apply(telemetry(seq=1, **HEALTHY))
    row = db.get(Asset, aed.id)
    assert row is not None
    row.maintenance_until = NOW + timedelta(minutes=30)
    db.commit()
    apply(event("door_opened", seq=2, ts=NOW + timedelta(minutes=1)),
          event("aed_removed", seq=3, ts=NOW + timedelta(minutes=2)),
          now=NOW + timedelta(minutes=2))
    assert open_alerts(db) == []
    logged = [(e.action, e.actor) for e in db.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert logged == [("door_opened_in_maintenance", "device:gw-t1/dev-1"),
                      ("aed_removed_in_maintenance", "device:gw-t1/dev-1")]


def test_the_last_will_raises_gateway_offline_and_turns_its_aeds_unknown(
    db: Session, apply: Apply
) -> None:
    aeds = register(db, devices=("dev-1", "dev-2"))
    apply(state("online", session=3), telemetry(dev="dev-1", seq=1, session=3, **HEALTHY),
          telemetry(dev="dev-2", seq=2, session=3, **HEALTHY))
    assert status(db, aeds["dev-1"]) == "ready"
    gone = NOW + timedelta(seconds=30)
    out = apply(state("offline", session=3), now=gone)
    assert out.alerts_opened == 1
    assert open_alerts(db) == [("gateway_offline", "gw-t1")]
    alert = db.scalars(select(Alert)).one()
    assert alert.detail is not None and alert.detail["cause"] == "will"
    for aed in aeds.values():
        row = db.get(Asset, aed.id)
        assert row is not None and row.status == "unknown"
        assert row.status_changed_at == alert.opened_at == gone
    # Back: its state says online, and the first reports bring the AEDs back.
    back = gone + timedelta(seconds=40)
    apply(state("online", session=4, ts=back), telemetry(dev="dev-1", seq=1, session=4,
                                                        ts=back, **HEALTHY),
          telemetry(dev="dev-2", seq=2, session=4, ts=back, **HEALTHY), now=back)
    assert open_alerts(db) == []
    assert {status(db, a) for a in aeds.values()} == {"ready"}
    gateway = db.get(Gateway, "gw-t1")
    assert gateway is not None and gateway.state == "online"


def test_a_will_within_the_grace_raises_nothing(app: Flask, db: Session) -> None:
    settings = get_settings(app)
    graceful = replace(settings, readiness=replace(settings.readiness, offline_grace_s=30))
    cfg = FactsConfig(aeds=AedContext.of(graceful, AlertPolicy()))
    register(db)
    for raws, now in (([state("online", session=3), telemetry(seq=1, session=3, **HEALTHY)],
                       NOW),
                      ([state("offline", session=3)], NOW + timedelta(seconds=5)),
                      ([state("online", session=4, ts=NOW + timedelta(seconds=9))],
                       NOW + timedelta(seconds=10))):
        apply_batch(db, [RawMessage(t, p, now) for t, p in raws], now, cfg)
        db.commit()
    assert open_alerts(db) == []
