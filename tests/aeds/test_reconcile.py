"""Reconciliation repairs a database seeded with faults and no alerts: it ends with
exactly the right open alerts and statuses, and a second run changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Asset, DeviceState
from tests.factories import bind_device, make_aed, make_gateway, make_site

# Just before the hour, so that a second run a few seconds later is in the job's next
# (hourly) period while every device still counts as heard.
NOW = datetime(2026, 11, 29, 2, 59, 50, tzinfo=UTC)
SOON = NOW + timedelta(seconds=15)
TODAY = datetime(2026, 11, 29).date()  # 10:00 in Shanghai: the same day


def _seed_faults(db: Session) -> dict[str, Asset]:
    """One AED per fault, facts written straight into the tables (as a migration, a
    restore or the demo would), no alert anywhere."""
    fresh = {"pad": TODAY + timedelta(days=400), "battery": TODAY + timedelta(days=900)}
    checked = NOW - timedelta(days=3)
    aeds: dict[str, Asset] = {}
    for n, name in enumerate([
        "ok", "pads_expired", "pads_expiring", "battery_expired", "inspection_overdue",
        "self_test", "hot", "battery_low", "taken", "door_long", "silent_device",
        "dead_gateway", "in_use_incident",
    ], start=1):
        site = make_site(db, n)
        pad = fresh["pad"]
        battery = fresh["battery"]
        inspected = checked
        if name == "pads_expired":
            pad = TODAY - timedelta(days=1)
        if name == "pads_expiring":
            pad = TODAY + timedelta(days=29)
        if name == "battery_expired":
            battery = TODAY
        if name == "inspection_overdue":
            inspected = NOW - timedelta(days=45)
        aeds[name] = make_aed(db, site, n, pad=pad, battery=battery,
                              last_inspection_at=inspected)
    live = make_gateway(db, "gw-live", seen=NOW - timedelta(seconds=30))
    dead = make_gateway(db, "gw-dead", seen=NOW - timedelta(hours=2))
    ok = {"self_test": "pass", "temp_c": 21.0, "battery_pct": 90, "door": "closed",
          "aed_present": True}
    recent = NOW - timedelta(seconds=20)
    for name, changes, gateway, seen in [
        ("self_test", {"self_test": "fail"}, live, recent),
        ("hot", {"temp_c": 58.0}, live, recent),
        ("battery_low", {"battery_pct": 11}, live, recent),
        ("taken", {"door": "open", "door_opened_at": NOW - timedelta(minutes=2),
                   "aed_present": False, "aed_removed_at": NOW - timedelta(minutes=2)},
         live, recent),
        ("door_long", {"door": "open", "door_opened_at": NOW - timedelta(minutes=25)}, live,
         recent),
        ("silent_device", {}, live, NOW - timedelta(minutes=10)),
        ("dead_gateway", {"self_test": "fail"}, dead, NOW - timedelta(hours=2)),
        ("ok", {}, live, recent),
    ]:
        bind_device(db, aeds[name], gateway, f"cab-{name}", seen, **{**ok, **changes})
    aeds["in_use_incident"].in_use_since = NOW - timedelta(minutes=20)
    db.commit()
    return aeds


EXPECTED = {
    "ok": ("ready", set()),
    "pads_expired": ("not_ready", {"pad_expired"}),
    "pads_expiring": ("attention", {"pad_expiring"}),
    "battery_expired": ("not_ready", {"battery_expired"}),
    "inspection_overdue": ("not_ready", {"inspection_overdue"}),
    "self_test": ("not_ready", {"self_test_failed"}),
    "hot": ("not_ready", {"temperature_out_of_range"}),
    "battery_low": ("attention", {"battery_low"}),
    "taken": ("in_use", {"aed_in_use"}),
    "door_long": ("ready", {"door_open_too_long"}),
    "silent_device": ("unknown", {"device_silent"}),
    "dead_gateway": ("unknown", set()),
    "in_use_incident": ("in_use", {"aed_in_use"}),
}


def _alerts(db: Session) -> list[tuple[int, str, str | None, str]]:
    db.expire_all()
    return sorted((a.id, a.kind, (a.asset_id and str(a.asset_id)) or a.gateway_id, a.status)
                  for a in db.scalars(select(Alert)))


def test_reconciliation_repairs_a_seeded_database(runner: FlaskCliRunner, db: Session) -> None:
    aeds = _seed_faults(db)
    assert db.scalar(select(Alert.id)) is None
    result = runner.invoke(args=["jobs", "run-once", "reconcile", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    db.expire_all()
    for name, (status, kinds) in EXPECTED.items():
        asset = db.get(Asset, aeds[name].id)
        assert asset is not None
        got = {a.kind for a in db.scalars(select(Alert).where(
            Alert.asset_id == asset.id, Alert.status == "open"))}
        assert (asset.status, got) == (status, kinds), name
    gateway_alerts = [(a.kind, a.gateway_id) for a in db.scalars(
        select(Alert).where(Alert.subject_type == "gateway", Alert.status == "open"))]
    assert gateway_alerts == [("gateway_offline", "gw-dead")]
    taken = db.get(Asset, aeds["taken"].id)
    assert taken is not None and taken.in_use_since == NOW - timedelta(minutes=2)

    before = _alerts(db)
    again = runner.invoke(args=["jobs", "run-once", "reconcile", "--now",
                                SOON.isoformat()])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output.strip().splitlines()[-1])["summary"]
    assert (summary["opened"], summary["resolved"], summary["status_moved"]) == (0, 0, 0)
    assert _alerts(db) == before


def test_alerts_follow_state_when_the_facts_change(runner: FlaskCliRunner,
                                                   db: Session) -> None:
    aeds = _seed_faults(db)
    runner.invoke(args=["jobs", "run-once", "reconcile", "--now", NOW.isoformat()])
    hot = aeds["hot"]
    assert hot.device_pk is not None
    state = db.get(DeviceState, hot.device_pk)
    assert state is not None
    state.temp_c = 22.0
    db.commit()
    runner.invoke(args=["jobs", "run-once", "reconcile", "--now", SOON.isoformat()])
    db.expire_all()
    alert = db.scalar(select(Alert).where(Alert.asset_id == hot.id,
                                          Alert.kind == "temperature_out_of_range"))
    assert alert is not None and alert.status == "resolved" and alert.resolution == "cleared"
    assert db.get(Asset, hot.id).status == "ready"  # type: ignore[union-attr]


def test_what_a_pass_writes_in_bulk_reads_back_as_the_orm_writes_it(
        runner: FlaskCliRunner, db: Session) -> None:
    """The pass writes its answers and alerts as one set of rows (app/sql_rows.py), not
    through the column types one by one: the stored moments must still compare equal to
    the same moments bound by the ORM (SQLite compares their text), and the details
    must read back as written."""
    aeds = _seed_faults(db)
    result = runner.invoke(args=["jobs", "run-once", "reconcile", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    db.expire_all()
    for asset in (db.get(Asset, a.id) for a in aeds.values()):
        assert asset is not None and asset.reevaluate_at is not None
        assert asset.reevaluate_at.tzinfo is not None
        assert db.scalar(select(Asset.id).where(
            Asset.id == asset.id, Asset.reevaluate_at == asset.reevaluate_at)) == asset.id
    opened = list(db.scalars(select(Alert).where(Alert.status == "open")))
    assert len(opened) > 2
    for alert in opened:
        assert alert.opened_at == NOW
        assert db.scalar(select(Alert.id).where(
            Alert.id == alert.id, Alert.opened_at == NOW)) == alert.id
    expiring = db.scalar(select(Alert).where(Alert.asset_id == aeds["pads_expiring"].id))
    assert expiring is not None
    assert expiring.detail == {"expiry": (TODAY + timedelta(days=29)).isoformat()}
    assert expiring.stage == 30 and expiring.severity == "warning"
    failed = db.scalar(select(Alert).where(Alert.asset_id == aeds["self_test"].id))
    assert failed is not None and not failed.detail
