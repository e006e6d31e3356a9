"""Assigning an alert to a team on its page: the form (CSRF, errors beside the field, both
languages), the audit trail, and the routing that follows: the assigned team's channels
hear of it at once and from then on, the site's team no more. A resolution by a person
on the page reaches the channels that heard of the alert without waiting for the
scheduler."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.aeds.refresh import AedContext
from app.alerts.escalation import run_escalation
from app.alerts.policy import AlertPolicy
from app.db import Database
from app.extensions import NOTIFIER, get_settings
from app.models import Alert, AuditLog, Team, User, utcnow
from app.notify.dispatch import dispatch_pending
from app.notify.now import Notifier
from app.notify.outbox import enqueue_alert_notifications
from tests.factories import make_site, make_team
from tests.notify.cabinets import monitored_aed, report
from tests.notify.channels import webhook_channel
from tests.notify.receivers import WebhookReceiver
from tests.support.wait import wait_for
from tests.support.web_login import login, post_form

PASSWORD = "assign-pass-2026"
DEADLINE_S = 5.0
POLICY = AlertPolicy(send_timeout_s=3, repeat_after_min={"critical": 60})


@pytest.fixture
def robots() -> Iterator[tuple[WebhookReceiver, WebhookReceiver]]:
    """The riverside team's robot and the Wujiaochang team's."""
    pair = (WebhookReceiver(), WebhookReceiver())
    for robot in pair:
        robot.start()
    yield pair
    for robot in pair:
        robot.stop()


def person(db: Session, username: str, role: str, team: Team) -> User:
    user = User(username=username, display_name=username, role=role, team=team,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                locale="zh_CN")
    db.add(user)
    db.flush()
    return user


def stop_notifier(app: Flask) -> None:
    notifier: Notifier | None = app.extensions.get(NOTIFIER)
    if notifier is not None:
        assert notifier.stop()


def firsts(robot: WebhookReceiver) -> list[str]:
    return [b["text"]["content"].split("\n")[0] for b in list(robot.bodies)]


def tell(app: Flask, db: Session) -> None:
    """The notify job's work, once, now."""
    database: Database = app.extensions["aed.db"]
    enqueue_alert_notifications(db, utcnow(), get_settings(app), POLICY)
    db.commit()
    dispatch_pending(database, utcnow(), get_settings(app), POLICY)


def failed_self_test(app: Flask, db: Session) -> tuple[Team, Team, Alert]:
    """A riverside AED whose self-test failed, told to the riverside robot."""
    riverside = make_team(db)
    wujiaochang = Team(code="wujiaochang", name="五角场应急队", name_en="Wujiaochang team")
    db.add(wujiaochang)
    db.flush()
    aed = monitored_aed(db, make_site(db, team=riverside), 1, utcnow())
    person(db, "coordinator", "coordinator", riverside)
    person(db, "volunteer", "volunteer", riverside)
    db.commit()
    report(db, [aed], utcnow(), AedContext.of(get_settings(app), POLICY), self_test="fail")
    db.commit()
    alert = db.scalars(select(Alert)).one()
    return riverside, wujiaochang, alert


def told_to_riverside(app: Flask, db: Session, robots: tuple[WebhookReceiver, WebhookReceiver]
                      ) -> tuple[Team, Team, Alert]:
    """The failed self-test, told to the riverside robot (each team has its robot)."""
    riverside, wujiaochang, alert = failed_self_test(app, db)
    webhook_channel(db, robots[0].url, riverside)
    webhook_channel(db, robots[1].url, wujiaochang)
    db.commit()
    tell(app, db)
    return riverside, wujiaochang, alert


def test_the_assigned_team_hears_of_the_alert_at_once_and_from_then_on(
    app: Flask, client: FlaskClient, db: Session,
    robots: tuple[WebhookReceiver, WebhookReceiver],
) -> None:
    river_robot, wjc_robot = robots
    _riverside, wujiaochang, alert = told_to_riverside(app, db, robots)
    assert firsts(river_robot) == ["【严重】自检失败 - 测试站点1"]

    login(client, "coordinator", PASSWORD)
    page = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert 'id="assign-form"' in page and "滨江应急队 · 场地所属队伍" in page
    try:
        resp = post_form(client, f"/alerts/{alert.id}/assign", {"team": wujiaochang.id},
                         f"/alerts/{alert.id}")
        assert resp.status_code == 302
        page = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
        assert "已指派给五角场应急队:此后的通知发给该队伍。" in page
        assert "五角场应急队 · 已指派" in page
        # Told at once, by the web process's notifier: no scheduler runs here.
        wait_for(lambda: wjc_robot.bodies, timeout=DEADLINE_S, message="the new team's robot")
    finally:
        stop_notifier(app)
    assert firsts(wjc_robot) == ["【严重】自检失败 - 测试站点1(已指派给五角场应急队)"]
    assert len(river_robot.bodies) == 1

    db.expire_all()
    fresh = db.get(Alert, alert.id)
    assert fresh is not None and fresh.assigned_team_id == wujiaochang.id
    audit = db.scalars(select(AuditLog).where(AuditLog.entity_type == "alert",
                                              AuditLog.action == "update")).all()
    assert [(a.actor, (a.after or {}).get("assigned_team_id")) for a in audit] == [
        ("coordinator", wujiaochang.id)]

    # The repeat goes to the assigned team alone.
    later = utcnow() + timedelta(minutes=61)
    run_escalation(db, later, POLICY)
    enqueue_alert_notifications(db, later, get_settings(app), POLICY)
    db.commit()
    dispatch_pending(app.extensions["aed.db"], later, get_settings(app), POLICY)
    assert firsts(wjc_robot)[1] == "【严重】自检失败 - 测试站点1(第 3 次提醒)"
    assert len(river_robot.bodies) == 1


def test_handed_back_to_the_site_team_which_is_told_so(
    app: Flask, client: FlaskClient, db: Session,
    robots: tuple[WebhookReceiver, WebhookReceiver],
) -> None:
    river_robot, wjc_robot = robots
    riverside, wujiaochang, alert = failed_self_test(app, db)
    webhook_channel(db, river_robot.url, riverside, fmt="json", locale="en")
    webhook_channel(db, wjc_robot.url, wujiaochang)
    alert.assigned_team_id = wujiaochang.id
    db.commit()
    tell(app, db)
    assert firsts(wjc_robot) == ["【严重】自检失败 - 测试站点1"]
    login(client, "coordinator", PASSWORD)
    client.get("/lang/en")
    try:
        resp = post_form(client, f"/alerts/{alert.id}/assign", {"team": ""},
                         f"/alerts/{alert.id}")
        assert resp.status_code == 302
        page = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
        assert "Alert handed back to the site&#39;s team: its notifications go there now." in page
        wait_for(lambda: river_robot.bodies, timeout=DEADLINE_S, message="the site team's robot")
    finally:
        stop_notifier(app)
    assert [b["subject"] for b in river_robot.bodies] == [
        "[Critical] Self-test failed - Site 1 (assigned to Riverside team)"]
    db.expire_all()
    fresh = db.get(Alert, alert.id)
    assert fresh is not None and fresh.assigned_team_id is None


def field_error(page: str) -> str | None:
    match = re.search(r'<p class="flash flash-error field-error" id="team-error">'
                      r'<span aria-hidden="true">✕</span> ([^<]+)</p>', page)
    return match.group(1) if match else None


def test_assign_errors_show_beside_the_field_and_only_coordinators_assign(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    _riverside, wujiaochang, alert = failed_self_test(app, db)
    volunteer = app.test_client()
    login(volunteer, "volunteer", PASSWORD)
    page = volunteer.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert 'id="assign-form"' not in page
    assert post_form(volunteer, f"/alerts/{alert.id}/assign", {"team": wujiaochang.id},
                     f"/alerts/{alert.id}").status_code == 403

    login(client, "coordinator", PASSWORD)
    # No CSRF token: refused, nothing written.
    assert client.post(f"/alerts/{alert.id}/assign",
                       data={"team": wujiaochang.id}).status_code == 400
    for bad in ("abc", "999999"):
        resp = post_form(client, f"/alerts/{alert.id}/assign", {"team": bad},
                         f"/alerts/{alert.id}")
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400
        assert field_error(page) == "请从列表中选择一个队伍。"
        assert 'aria-invalid="true" aria-describedby="team-error"' in page
    client.get("/lang/en")
    page = post_form(client, f"/alerts/{alert.id}/assign", {"team": "abc"},
                     f"/alerts/{alert.id}").get_data(as_text=True)
    assert field_error(page) == "Choose a team from the list."
    db.expire_all()
    fresh = db.get(Alert, alert.id)
    assert fresh is not None and fresh.assigned_team_id is None

    fresh.status, fresh.resolved_at, fresh.resolution = "resolved", utcnow(), "cleared"
    db.commit()
    page = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert 'id="assign-form"' not in page
    assert '<span id="alert-resolution">back to normal</span>' in page
    resp = post_form(client, f"/alerts/{alert.id}/assign", {"team": wujiaochang.id},
                     f"/alerts/{alert.id}")
    assert resp.status_code == 400
    assert ('id="assign-error"><span aria-hidden="true">✕</span> '
            "A resolved alert cannot be assigned any more.</p>") in resp.get_data(as_text=True)


def test_a_resolution_on_the_page_is_told_at_once(
    app: Flask, client: FlaskClient, db: Session,
    robots: tuple[WebhookReceiver, WebhookReceiver],
) -> None:
    river_robot, wjc_robot = robots
    alert = told_to_riverside(app, db, robots)[2]
    login(client, "coordinator", PASSWORD)
    try:
        resp = post_form(client, f"/alerts/{alert.id}/resolve",
                         {"resolution": "重启后自检通过"}, f"/alerts/{alert.id}")
        assert resp.status_code == 302
        wait_for(lambda: len(river_robot.bodies) == 2, timeout=DEADLINE_S,
                 message=lambda: f"the resolution: {firsts(river_robot)}")
    finally:
        stop_notifier(app)
    content = river_robot.bodies[1]["text"]["content"].split("\n")
    assert content[:2] == ["已恢复:自检失败 - 测试站点1", "滨江AED1:重启后自检通过"]
    assert wjc_robot.bodies == []
    page = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert '<span id="alert-resolution">重启后自检通过</span>' in page
