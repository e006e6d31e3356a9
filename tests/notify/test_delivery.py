"""Notifications end to end: real SMTP server, real HTTP receiver, retries, quiet hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.escalation import run_escalation
from app.alerts.lifecycle import AlertSpec, Subject, raise_alert
from app.alerts.policy import AlertPolicy
from app.db import Database
from app.extensions import get_settings
from app.models import Alert, NotificationChannel, NotificationLog, NotificationRoute, Team
from app.notify.dispatch import dispatch_pending
from app.notify.outbox import enqueue_alert_notifications
from app.scheduler.context import JobContext
from app.scheduler.jobs import JOBS, run_job
from tests.notify.receivers import MailBox, WebhookReceiver, smtp_server
from tests.scheduler.factories import make_aed, make_site, make_team
from tests.support.wait import wait_for

# 10:00 in Shanghai
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
POLICY = AlertPolicy(retry_base_s=30, retry_max_s=600, max_attempts=5, send_timeout_s=3,
                     job_interval_s=15)


@pytest.fixture
def mail() -> Iterator[tuple[int, MailBox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def database(app: Flask) -> Database:
    return app.extensions["aed.db"]


def email_channel(db: Session, port: int, team: Team | None, **route: object) -> NotificationChannel:
    channel = NotificationChannel(
        name=f"mail-{port}", kind="email",
        config={"host": "127.0.0.1", "port": port, "sender": "aed@yangpu-redcross.test",
                "to": ["coordinator@yangpu-redcross.test"]},
    )
    channel.routes = [NotificationRoute(team_id=team.id if team else None, **route)]
    db.add(channel)
    return channel


def webhook_channel(db: Session, url: str, team: Team | None, fmt: str = "wecom",
                    **route: object) -> NotificationChannel:
    channel = NotificationChannel(name=f"hook-{url}", kind="webhook",
                                  config={"url": url, "format": fmt})
    channel.routes = [NotificationRoute(team_id=team.id if team else None, **route)]
    db.add(channel)
    return channel


def open_alert(db: Session, kind: str, message: str, team: Team | None = None) -> Alert:
    site = make_site(db, team=team)
    aed = make_aed(db, site)
    alert, _ = raise_alert(db, Subject.of_asset(aed), AlertSpec(kind, message), NOW)
    db.commit()
    return alert


def logs(db: Session) -> list[NotificationLog]:
    db.expire_all()
    return list(db.scalars(select(NotificationLog).order_by(NotificationLog.id)))


def test_email_reaches_smtp_server_with_readable_chinese(
    app: Flask, db: Session, mail: tuple[int, MailBox]
) -> None:
    port, box = mail
    team = make_team(db)
    email_channel(db, port, team)
    open_alert(db, "aed_in_use", "滨江AED1: AED 已被取出,可能正在抢救 · AED removed", team)
    ctx = JobContext(db=database(app), settings=get_settings(app), policy=POLICY, runner="test")
    with app.app_context():
        assert run_job(ctx, JOBS["notify"], NOW) is not None
    wait_for(lambda: box.messages, timeout=10, message="the email")
    msg = box.messages[0]
    assert "AED 被取出使用" in str(msg["Subject"]) and "紧急" in str(msg["Subject"])
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "可能正在抢救" in text and "地点 · Where: 测试站点1" in text
    assert msg["To"] == "coordinator@yangpu-redcross.test"
    [row] = logs(db)
    assert (row.status, row.attempts, row.event) == ("sent", 1, "opened")
    # The same round is never sent twice.
    with app.app_context():
        run_job(ctx, JOBS["notify"], NOW + timedelta(seconds=15))
    assert len(logs(db)) == 1 and len(box.messages) == 1


def test_webhook_payload_is_a_wecom_dingtalk_text_message(
    app: Flask, db: Session, hook: WebhookReceiver
) -> None:
    team = make_team(db)
    webhook_channel(db, hook.url, team)
    open_alert(db, "pad_expired", "滨江AED1: 电极片已于 2026-11-28 过期 · pads expired", team)
    enqueue_alert_notifications(db, NOW, get_settings(app), POLICY)
    db.commit()
    assert dispatch_pending(database(app), NOW, get_settings(app), POLICY) == {"sent": 1}
    [body] = hook.bodies
    assert body["msgtype"] == "text"
    assert "电极片已过期 · pads expired" in body["text"]["content"]
    assert "2026-11-28 过期" in body["text"]["content"]


def test_receiver_down_retried_logged_nothing_lost_others_unaffected(
    app: Flask, db: Session, mail: tuple[int, MailBox]
) -> None:
    port, box = mail
    down = WebhookReceiver()  # port reserved, nobody listening yet
    team = make_team(db)
    email_channel(db, port, team)
    webhook_channel(db, down.url, team)
    open_alert(db, "self_test_failed", "滨江AED1: 自检失败 · self-test failed", team)
    settings = get_settings(app)
    enqueue_alert_notifications(db, NOW, settings, POLICY)
    db.commit()

    assert dispatch_pending(database(app), NOW, settings, POLICY) == {"sent": 1, "retrying": 1}
    assert len(box.messages) == 1  # email went out regardless
    by_kind = {row.channel_id: row for row in logs(db)}
    hook_row = next(r for r in by_kind.values() if r.status != "sent")
    assert hook_row.attempts == 1 and "unreachable" in (hook_row.last_error or "")
    assert hook_row.next_attempt_at == NOW + timedelta(seconds=30)

    # Before the backoff has passed nothing is tried; still down after it: backoff grows.
    assert dispatch_pending(database(app), NOW + timedelta(seconds=1), settings, POLICY) == {}
    later = (hook_row.next_attempt_at or NOW) + timedelta(seconds=1)
    assert dispatch_pending(database(app), later, settings, POLICY) == {"retrying": 1}
    hook_row = next(r for r in logs(db) if r.id == hook_row.id)
    assert hook_row.attempts == 2
    assert hook_row.next_attempt_at == later + timedelta(seconds=60)  # doubled

    down.start()
    try:
        again = (hook_row.next_attempt_at or NOW) + timedelta(seconds=1)
        assert dispatch_pending(database(app), again, settings, POLICY) == {"sent": 1}
        assert len(down.bodies) == 1
        assert "自检失败" in down.bodies[0]["text"]["content"]
        assert {r.status for r in logs(db)} == {"sent"}
        assert len(box.messages) == 1
    finally:
        down.stop()


def test_quiet_hours_hold_non_urgent_but_never_urgent(
    app: Flask, db: Session, hook: WebhookReceiver
) -> None:
    team = make_team(db)
    channel = webhook_channel(db, hook.url, team)
    channel.quiet_start, channel.quiet_end = "22:00", "07:00"
    night = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    site = make_site(db, team=team)
    aed = make_aed(db, site)
    raise_alert(db, Subject.of_asset(aed), AlertSpec("battery_low", "电量低 · battery low"), night)
    raise_alert(db, Subject.of_asset(aed), AlertSpec("cabinet_opened", "机柜门被打开"), night)
    db.commit()
    settings = get_settings(app)
    enqueue_alert_notifications(db, night, settings, POLICY)
    db.commit()
    assert dispatch_pending(database(app), night, settings, POLICY) == {"sent": 1}
    assert "机柜被打开" in hook.bodies[0]["text"]["content"]
    deferred = [r for r in logs(db) if r.status == "deferred"]
    assert len(deferred) == 1
    assert deferred[0].next_attempt_at == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # 07:00
    morning = datetime(2026, 11, 29, 23, 1, tzinfo=UTC)
    assert dispatch_pending(database(app), morning, settings, POLICY) == {"sent": 1}
    assert "电量低" in hook.bodies[1]["text"]["content"]


def test_routing_by_team_and_escalation_after_repeats(
    app: Flask, db: Session, hook: WebhookReceiver
) -> None:
    riverside, other = make_team(db, "riverside"), make_team(db, "wujiaochang")
    team_hook = webhook_channel(db, hook.url, riverside)
    other_hook = webhook_channel(db, hook.url + "&other", other)
    boss = WebhookReceiver()
    boss.start()
    try:
        boss_hook = webhook_channel(db, boss.url, None, escalation_level=1)
        alert = open_alert(db, "self_test_failed", "自检失败", riverside)
        settings = get_settings(app)
        policy = AlertPolicy(repeat_after_min={"critical": 60}, escalate_after_repeats=2)

        def round_at(when: datetime) -> set[int]:
            run_escalation(db, when, policy)
            enqueue_alert_notifications(db, when, settings, policy)
            db.commit()
            new = [r for r in logs(db) if r.created_at == when]
            return {r.channel_id for r in new}

        assert round_at(NOW) == {team_hook.id}
        assert round_at(NOW + timedelta(minutes=30)) == set()  # too soon to repeat
        assert round_at(NOW + timedelta(minutes=61)) == {team_hook.id}  # repeat 1
        assert round_at(NOW + timedelta(minutes=122)) == {team_hook.id}  # repeat 2
        assert round_at(NOW + timedelta(minutes=183)) == {team_hook.id, boss_hook.id}
        db.refresh(alert)
        assert alert.escalation_level == 1 and alert.notify_count == 4
        assert other_hook.id not in {r.channel_id for r in logs(db)}
        # Acknowledged: no more repeats.
        alert.status = "acknowledged"
        db.commit()
        assert round_at(NOW + timedelta(minutes=400)) == set()
    finally:
        boss.stop()


def test_one_message_per_expiry_stage(app: Flask, db: Session, hook: WebhookReceiver) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from app.aeds.expiry_scan import run_expiry_scan

    tz = ZoneInfo("Asia/Shanghai")
    team = make_team(db)
    webhook_channel(db, hook.url, team)
    site = make_site(db, team=team)
    make_aed(db, site, pad=date(2027, 3, 1), battery=date(2031, 1, 1))
    db.commit()
    settings = get_settings(app)
    expiry = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    for days in (91, 90, 60, 30, 29, 7, 3, 0, -1):
        when = expiry - timedelta(days=days)
        for _ in range(2):
            run_expiry_scan(db, when, tz, POLICY)
            enqueue_alert_notifications(db, when, settings, POLICY)
            db.commit()
            dispatch_pending(database(app), when, settings, POLICY)
    contents = [b["text"]["content"] for b in hook.bodies]
    assert len(contents) == 4, contents
    assert ["≤90 天" in contents[0], "≤30 天" in contents[1], "≤7 天" in contents[2]] == [True] * 3
    assert "电极片已过期" in contents[3]
