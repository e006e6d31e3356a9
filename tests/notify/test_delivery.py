"""Notifications end to end: real SMTP server, real HTTP receiver, retries, quiet hours."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.reconcile import reconcile
from app.aeds.refresh import AedContext
from app.alerts.catalogue import kind_of
from app.alerts.digest import enqueue_digests
from app.alerts.escalation import run_escalation
from app.alerts.policy import AlertPolicy
from app.config import ConfigError
from app.db import Database
from app.extensions import get_settings
from app.models import Alert, Asset, NotificationChannel, NotificationLog, Team
from app.notify.config_file import sync_channels_file
from app.notify.dispatch import dispatch_pending
from app.notify.outbox import enqueue_alert_notifications
from app.notify.routing import channel_locale
from app.scheduler.context import JobContext
from app.scheduler.jobs import JOBS, run_job
from tests.notify.channels import email_channel, webhook_channel
from tests.notify.receivers import MailBox, WebhookReceiver
from tests.scheduler.factories import make_aed, make_site, make_team
from tests.support.wait import wait_for

# 10:00 in Shanghai
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
POLICY = AlertPolicy(retry_base_s=30, retry_max_s=600, max_attempts=5, send_timeout_s=3,
                     job_interval_s=15)


def database(app: Flask) -> Database:
    return app.extensions["aed.db"]


def add_alert(db: Session, aed: Asset, kind: str, detail: dict[str, object] | None,
              at: datetime = NOW, stage: int | None = None) -> Alert:
    """An alert as the rules write it: kind and structured detail, no sentence."""
    spec = kind_of(kind)
    alert = Alert(kind=kind, severity=spec.severity, subject_type="asset",
                  subject_id=str(aed.id), dedupe_key=f"asset:{aed.id}:{kind}", asset_id=aed.id,
                  site_id=aed.site_id, status="open", auto_resolve=spec.auto_resolve,
                  message="", detail=detail, stage=stage, opened_at=at)
    db.add(alert)
    db.flush()
    return alert


def open_alert(db: Session, kind: str, detail: dict[str, object] | None = None,
               team: Team | None = None) -> Alert:
    site = make_site(db, team=team)
    aed = make_aed(db, site)
    alert = add_alert(db, aed, kind, detail)
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
    open_alert(db, "aed_in_use", {"since": "2026-11-29T01:58:00+00:00", "cause": "aed_removed"},
               team)
    ctx = JobContext(db=database(app), settings=get_settings(app), policy=POLICY, runner="test")
    with app.app_context():
        assert run_job(ctx, JOBS["notify"], NOW) is not None
    wait_for(lambda: box.messages, timeout=10, message="the email")
    msg = box.messages[0]
    assert str(msg["Subject"]) == "【紧急】AED 被取出使用 - 测试站点1"
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert text.splitlines() == [
        "滨江AED1:AED 于 11月29日 09:58 被取出(机柜报告),可能正在抢救",
        "地点:测试站点1", "发生时间:11月29日 10:00", "状态:未处理",
        "请在 AED 管理系统中确认处理。"]
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
    open_alert(db, "pad_expired", {"expiry": "2026-11-28"}, team)
    enqueue_alert_notifications(db, NOW, get_settings(app), POLICY)
    db.commit()
    assert dispatch_pending(database(app), NOW, get_settings(app), POLICY) == {"sent": 1}
    [body] = hook.bodies
    assert body["msgtype"] == "text"
    assert body["text"]["content"].startswith("【严重】电极片已过期 - 测试站点1\n")
    assert "滨江AED1:电极片已于 11月28日 过期" in body["text"]["content"]
    assert not re.search(r"[A-Za-z]{2,}", body["text"]["content"].replace("AED", ""))


def test_receiver_down_retried_logged_nothing_lost_others_unaffected(
    app: Flask, db: Session, mail: tuple[int, MailBox]
) -> None:
    port, box = mail
    down = WebhookReceiver()  # port reserved, nobody listening yet
    team = make_team(db)
    email_channel(db, port, team)
    webhook_channel(db, down.url, team)
    open_alert(db, "self_test_failed", None, team)
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
    add_alert(db, aed, "battery_low", {"battery_pct": 15, "min_pct": 20}, night)
    add_alert(db, aed, "cabinet_opened", {"at": night.isoformat()}, night)
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
        alert = open_alert(db, "self_test_failed", None, riverside)
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
    """Each stage once; pads expiring giving way to pads expired is no "resolved" news."""
    team = make_team(db)
    webhook_channel(db, hook.url, team, kinds="pad_expiring,pad_expired")
    site = make_site(db, team=team)
    make_aed(db, site, pad=date(2027, 3, 1), battery=date(2031, 1, 1))
    db.commit()
    settings = get_settings(app)
    aeds = AedContext.of(settings, POLICY)
    expiry = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    for days in (91, 90, 60, 30, 29, 7, 3, 0, -1):
        when = expiry - timedelta(days=days)
        for _ in range(2):
            reconcile(db, when, aeds)
            enqueue_alert_notifications(db, when, settings, POLICY)
            db.commit()
            dispatch_pending(database(app), when, settings, POLICY)
    contents = [b["text"]["content"] for b in hook.bodies]
    assert len(contents) == 4, contents
    assert ["≤90 天" in contents[0], "≤30 天" in contents[1], "≤7 天" in contents[2]] == [True] * 3
    assert "电极片已过期" in contents[3]


def test_each_channel_reads_its_own_language(
    app: Flask, db: Session, mail: tuple[int, MailBox], hook: WebhookReceiver
) -> None:
    """One alert, two channels: the email in Chinese (the default), the robot in English
    (its `locale`); neither message mixes the two, and times are Shanghai's."""
    port, box = mail
    team = make_team(db)
    email_channel(db, port, team)
    webhook_channel(db, hook.url, team, fmt="json", locale="en")
    site = make_site(db, team=team)
    aed = make_aed(db, site)
    aed.name_en = "Riverside AED 1"
    add_alert(db, aed, "pad_expiring", {"expiry": "2026-12-20"}, stage=30)
    db.commit()
    settings = get_settings(app)
    enqueue_alert_notifications(db, NOW, settings, POLICY)
    db.commit()
    assert dispatch_pending(database(app), NOW, settings, POLICY) == {"sent": 2}
    [msg] = box.messages
    assert str(msg["Subject"]) == "【警告】电极片即将过期 - 测试站点1(≤30 天)"
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().splitlines()[0] == "滨江AED1:电极片将于 12月20日 过期(≤30 天)"
    [robot] = hook.bodies
    assert robot["subject"] == "[Warning] Pads expiring - Site 1 (≤30 days)"
    assert robot["body"].splitlines() == [
        "Riverside AED 1: Pads expire on 20 Dec (within 30 days)", "Where: Site 1",
        "Opened: 29 Nov 10:00", "Status: Open", "Please acknowledge in the AED tracker."]
    assert not re.search(r"[\u4e00-\u9fff]", json.dumps(robot, ensure_ascii=False))


def test_digest_in_the_channels_language(app: Flask, db: Session) -> None:
    team = make_team(db)
    channel = webhook_channel(db, "http://127.0.0.1:9/digest", team, fmt="json", locale="en",
                              digest=True)
    site = make_site(db, team=team)
    aed = make_aed(db, site)
    add_alert(db, aed, "pad_expiring", {"expiry": "2026-12-20"})
    add_alert(db, aed, "stock_expired", {"lots": 2, "earliest": "2026-11-20"})
    db.commit()
    assert enqueue_digests(db, NOW, get_settings(app), "2026-11-29")["messages"] == 1
    [row] = logs(db)
    assert row.channel_id == channel.id
    assert row.subject == "[Daily digest] Riverside team 29 Nov"
    assert row.body.splitlines() == ["Riverside team · Daily digest", "- Pads expiring: 1",
                                     "- Supplies expired: 1"]


def test_channel_locale_in_the_config_file(app: Flask, db: Session, tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[[channel]]\nname = "robot"\nkind = "webhook"\n'
                    'url = "https://example.org/hook"\nlocale = "en"\n', "utf-8")
    assert sync_channels_file(db, good) == 1
    channel = db.scalars(select(NotificationChannel)).one()
    assert channel_locale(channel, "zh_CN") == "en"
    channel.config = {"url": "https://example.org/hook"}
    assert channel_locale(channel, "zh_CN") == "zh_CN"
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text("utf-8").replace('"en"', '"fr"'), "utf-8")
    with pytest.raises(ConfigError):
        sync_channels_file(db, bad)
