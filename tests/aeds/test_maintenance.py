"""Maintenance mode, one audited operation: a volunteer's visit raises nothing, ends by
itself, and a door left open afterwards still alerts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Asset, AuditLog, DeviceState, Team, User, utcnow
from tests.factories import bind_device, make_aed, make_gateway, make_site
from tests.support.web_login import login, post_form


def _run(runner: FlaskCliRunner, job: str, when: datetime) -> dict[str, object]:
    result = runner.invoke(args=["jobs", "run-once", job, "--now", when.isoformat()])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])["summary"]


def _monitored(app: Flask, db: Session, runner: FlaskCliRunner) -> tuple[Asset, DeviceState]:
    runner.invoke(args=["user", "add", "li", "--role", "volunteer", "--team", "riverside"],
                  input="a-long-secret-1\na-long-secret-1\n")
    team = db.scalar(select(Team).where(Team.code == "riverside"))
    site = make_site(db, 1, team=team)
    now = utcnow()
    aed = make_aed(db, site, pad=now.date() + timedelta(days=400),
                   battery=now.date() + timedelta(days=400), last_inspection_at=now)
    gateway = make_gateway(db, "gw-m", site=site, seen=now, report_interval_s=3600)
    device = bind_device(db, aed, gateway, "cab-1", now, door="closed", aed_present=True,
                         self_test="pass", temp_c=20.0, battery_pct=90)
    db.commit()
    state = db.get(DeviceState, device.id)
    assert state is not None
    return aed, state


def test_a_visit_in_maintenance_raises_nothing_and_is_audited(
    app: Flask, db: Session, runner: FlaskCliRunner
) -> None:
    team = Team(code="riverside", name="滨江应急队", name_en="Riverside team")
    db.add(team)
    db.commit()
    aed, state = _monitored(app, db, runner)
    client = app.test_client()
    login(client, "li", "a-long-secret-1")
    resp = post_form(client, f"/assets/{aed.id}/maintenance", {"minutes": "30"})
    assert resp.status_code == 302
    db.expire_all()
    asset = db.get(Asset, aed.id)
    assert asset is not None and asset.maintenance_until is not None
    start = asset.maintenance_until - timedelta(minutes=30)
    # The volunteer opens the cabinet and takes the AED out for the check.
    state.door, state.door_opened_at = "open", start + timedelta(minutes=1)
    state.aed_present, state.aed_removed_at = False, start + timedelta(minutes=2)
    db.commit()
    _run(runner, "reconcile", start + timedelta(minutes=3))
    _run(runner, "deadlines", start + timedelta(minutes=20))
    db.expire_all()
    assert db.scalars(select(Alert).where(Alert.asset_id == aed.id)).all() == []
    assert db.get(Asset, aed.id).status == "not_ready"  # type: ignore[union-attr]  # AED out

    # It goes back in; nobody ends maintenance: the time passes and the job ends it.
    state = db.get(DeviceState, state.device_pk)  # type: ignore[assignment]
    state.aed_present = True
    db.commit()
    end = start + timedelta(minutes=31)
    assert _run(runner, "maintenance", end)["ended"] == 1
    db.expire_all()
    entries = db.scalars(select(AuditLog).where(
        AuditLog.action.in_(("maintenance_start", "maintenance_end"))).order_by(AuditLog.id))
    actors = [(e.action, e.actor) for e in entries]
    user = db.scalar(select(User).where(User.username == "li"))
    assert user is not None
    assert actors == [("maintenance_start", "li"), ("maintenance_end", "system")]
    assert db.scalars(select(Alert).where(Alert.asset_id == aed.id)).all() == []

    # The door was left open: ten minutes after the visit ended, it alerts, once.
    _run(runner, "deadlines", end + timedelta(minutes=9))
    assert db.scalars(select(Alert).where(Alert.asset_id == aed.id)).all() == []
    _run(runner, "deadlines", end + timedelta(minutes=10, seconds=1))
    _run(runner, "deadlines", end + timedelta(minutes=11))
    db.expire_all()
    kinds = [a.kind for a in db.scalars(select(Alert).where(Alert.asset_id == aed.id))]
    assert kinds == ["door_open_too_long"]
    assert db.get(Asset, aed.id).status == "ready"  # type: ignore[union-attr]


def test_ending_maintenance_by_hand_is_audited(app: Flask, db: Session,
                                               runner: FlaskCliRunner) -> None:
    db.add(Team(code="riverside", name="滨江应急队", name_en="Riverside team"))
    db.commit()
    aed, _state = _monitored(app, db, runner)
    client = app.test_client()
    login(client, "li", "a-long-secret-1")
    post_form(client, f"/assets/{aed.id}/maintenance", {"minutes": "30"})
    post_form(client, f"/assets/{aed.id}/maintenance", {"action": "end"})
    db.expire_all()
    asset = db.get(Asset, aed.id)
    assert asset is not None and asset.maintenance_until is None
    assert asset.presence_reset_at is not None
    actions = db.scalars(select(AuditLog.action).where(
        AuditLog.action.like("maintenance%")).order_by(AuditLog.id)).all()
    assert actions == ["maintenance_start", "maintenance_end"]
