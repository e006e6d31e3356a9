"""Maintenance mode mutes a door-open during a check and ends by itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.door_watch import run_door_watch
from app.aeds.maintenance import end_expired_maintenance, start_maintenance
from app.alerts.device_rules import on_device_event
from app.alerts.policy import AlertPolicy
from app.models import Alert, AuditLog, Device, DeviceState, Gateway
from tests.scheduler.factories import make_aed, make_site

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
POLICY = AlertPolicy(door_open_limit_min=10)


def test_door_open_during_check_is_muted_then_alerts_work_again(db: Session) -> None:
    site = make_site(db)
    aed = make_aed(db, site)
    gw = Gateway(id="gw-t-1", site_id=site.id, last_seen_at=NOW)
    device = Device(gateway=gw, device_id="cab-1", last_seen_at=NOW)
    db.add_all([gw, device])
    db.flush()
    aed.device_pk = device.id
    db.commit()

    until = start_maintenance(db, aed, None, 30, NOW)
    assert until == NOW + timedelta(minutes=30)
    # The volunteer opens the cabinet and leaves it open during the check.
    assert on_device_event(db, aed, "door_opened", NOW + timedelta(minutes=1),
                           NOW + timedelta(minutes=1)) is None
    assert on_device_event(db, aed, "aed_removed", NOW + timedelta(minutes=2),
                           NOW + timedelta(minutes=2)) is None
    db.add(DeviceState(device_pk=device.id, door="open",
                       door_opened_at=NOW + timedelta(minutes=1)))
    db.commit()
    assert run_door_watch(db, NOW + timedelta(minutes=20), POLICY)["opened"] == 0
    assert db.scalars(select(Alert)).all() == []

    # Nobody ends it: the time passes and the job tidies up.
    after = NOW + timedelta(minutes=31)
    assert end_expired_maintenance(db, after) == {"ended": 1}
    db.commit()
    assert aed.maintenance_until is None
    assert db.scalars(select(AuditLog.action).order_by(AuditLog.id)).all() == [
        "maintenance_start", "maintenance_end"]
    # The door is still open past the limit: now it alerts, once.
    assert run_door_watch(db, after, POLICY)["opened"] == 1
    assert run_door_watch(db, after + timedelta(minutes=1), POLICY)["opened"] == 0
    db.commit()
    alert = on_device_event(db, aed, "door_opened", after, after)
    assert alert is not None and alert.kind == "cabinet_opened"
    db.commit()
    assert sorted(a.kind for a in db.scalars(select(Alert))) == [
        "cabinet_opened", "door_open_too_long"]
    # Closing the door clears the sensor-driven alert by itself.
    state = db.get(DeviceState, device.id)
    assert state is not None
    state.door = "closed"
    db.commit()
    assert run_door_watch(db, after + timedelta(minutes=2), POLICY)["resolved"] == 1


def test_maintenance_ends_by_time_even_without_the_job(db: Session) -> None:
    site = make_site(db)
    aed = make_aed(db, site)
    start_maintenance(db, aed, None, 15, NOW)
    db.commit()
    assert on_device_event(db, aed, "door_opened", NOW, NOW + timedelta(minutes=14)) is None
    assert on_device_event(db, aed, "door_opened", NOW, NOW + timedelta(minutes=16)) is not None
