"""Urgent notifications in seconds: the notifier, woken after the commit that opened an
urgent alert, sends through the real SMTP and webhook paths without the scheduler; run
at the same moment as the notify job, each message still leaves once. Resolutions reach
the channels that heard of the alert, once, and nobody else."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.aeds.incidents import IncidentReport, close_incident
from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.db import Database
from app.extensions import get_settings
from app.models import Alert, Asset, JobRun, NotificationLog, Team, utcnow
from app.notify.dispatch import dispatch_pending
from app.notify.now import Notifier, tells_at_once
from app.notify.outbox import enqueue_alert_notifications
from app.scheduler.context import JobContext
from app.scheduler.jobs import JOBS, run_job
from tests.factories import make_site, make_team
from tests.notify.cabinets import CALM, monitored_aed, report, taken
from tests.notify.channels import email_channel, webhook_channel
from tests.notify.receivers import MailBox, WebhookReceiver
from tests.support.postgres import free_port
from tests.support.wait import wait_for

#: The promise: an urgent alert's notification leaves within 5 s of the MQTT message.
DEADLINE_S = 5.0
POLICY = AlertPolicy(retry_base_s=30, retry_max_s=600, max_attempts=5, send_timeout_s=3,
                     job_interval_s=15)
#: Every run of the notify job its own period, so the job runs as often as we call it.
EVERY_CALL = AlertPolicy(send_timeout_s=3, job_interval_s=0.001)
# 10:00 in Shanghai
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def database(app: Flask) -> Database:
    return app.extensions["aed.db"]


def texts(box: MailBox, hook: WebhookReceiver) -> tuple[list[str], list[str]]:
    """Subjects of the emails, and robot messages' first lines, in arrival order."""
    with box.lock:
        mails = [str(m["Subject"]) for m in box.messages]
    return mails, [b["text"]["content"].split("\n")[0] for b in list(hook.bodies)]


def tell(app: Flask, db: Session, when: datetime) -> None:
    """One round of the outbox and delivery at ``when`` (the notify job's work)."""
    settings = get_settings(app)
    enqueue_alert_notifications(db, when, settings, POLICY)
    db.commit()
    dispatch_pending(database(app), when, settings, POLICY)


def team_with_mail_and_robot(db: Session, mail: tuple[int, MailBox],
                             hook: WebhookReceiver) -> Team:
    team = make_team(db)
    email_channel(db, mail[0], team)
    webhook_channel(db, hook.url, team)
    return team


def test_an_urgent_alert_reaches_mail_and_robot_in_seconds_without_the_scheduler(
    app: Flask, db: Session, mail: tuple[int, MailBox], hook: WebhookReceiver
) -> None:
    box = mail[1]
    team = team_with_mail_and_robot(db, mail, hook)
    aed = monitored_aed(db, make_site(db, team=team), 1, utcnow())
    db.commit()
    settings = get_settings(app)
    notifier = Notifier(database(app), settings, POLICY).start()
    try:
        # What ingest does with the message: store the cabinet's reading and apply the
        # evaluation in one transaction, commit, then wake the notifier.
        at = utcnow()
        started = time.monotonic()
        refreshed = report(db, [aed], at, AedContext.of(settings, POLICY), **taken(at))
        db.commit()
        assert [a.kind for a in refreshed.alerts.opened] == ["aed_in_use"]
        assert tells_at_once(refreshed.alerts.opened)
        notifier.wake()
        wait_for(lambda: box.messages and hook.bodies, timeout=DEADLINE_S,
                 message=lambda: f"both channels within {DEADLINE_S} s: {texts(box, hook)}")
        took = time.monotonic() - started
    finally:
        assert notifier.stop()
    assert took < DEADLINE_S
    mails, robots = texts(box, hook)
    assert mails == ["【紧急】AED 被取出使用 - 测试站点1"]
    assert robots == ["【紧急】AED 被取出使用 - 测试站点1"]
    assert [(r.status, r.attempts, r.urgent) for r in logs(db)] == [("sent", 1, True)] * 2
    # Nothing of the scheduler ran.
    assert db.scalar(select(func.count()).select_from(JobRun)) == 0


def test_a_non_urgent_alert_does_not_wake_the_notifier(app: Flask, db: Session) -> None:
    aed = monitored_aed(db, make_site(db), 1, NOW)
    db.commit()
    refreshed = report(db, [aed], NOW, AedContext.of(get_settings(app), POLICY),
                       self_test="fail")
    assert [a.kind for a in refreshed.alerts.opened] == ["self_test_failed"]
    assert not tells_at_once(refreshed.alerts.opened)


def logs(db: Session) -> list[NotificationLog]:
    db.expire_all()
    return list(db.scalars(select(NotificationLog).order_by(NotificationLog.id)))


def race(notifier: Notifier, ctx: JobContext, rounds: int = 6) -> None:
    """Two notify jobs and the notifier, started together and woken again and again."""
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait(timeout=10)
                work()
            except BaseException as exc:
                errors.append(exc)
        return run

    def jobs() -> None:
        for _ in range(rounds):
            run_job(ctx, JOBS["notify"])

    threads = [threading.Thread(target=guarded(jobs)) for _ in range(2)]
    for thread in threads:
        thread.start()
    start.wait(timeout=10)
    for _ in range(rounds):
        notifier.wake()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_notifier_and_notify_job_at_once_send_each_message_once(
    app: Flask, db: Session, mail: tuple[int, MailBox], hook: WebhookReceiver
) -> None:
    box = mail[1]
    team = team_with_mail_and_robot(db, mail, hook)
    count = 8
    aeds = [monitored_aed(db, make_site(db, n, team=team), n, utcnow())
            for n in range(1, count + 1)]
    db.commit()
    settings = get_settings(app)
    aed_ctx = AedContext.of(settings, POLICY)
    job_ctx = JobContext(db=database(app), settings=settings, policy=EVERY_CALL, runner="test")
    notifier = Notifier(database(app), settings, POLICY).start()
    try:
        at = utcnow()
        report(db, aeds, at, aed_ctx, **taken(at))
        db.commit()
        race(notifier, job_ctx)
        wait_for(lambda: len(box.messages) >= count and len(hook.bodies) >= count,
                 timeout=15, message=lambda: f"{count} alerts on each: {texts(box, hook)}")

        # Every AED is back: the volunteer closes each use incident on the page's path.
        at = utcnow()
        report(db, aeds, at, aed_ctx, **CALM)
        back = IncidentReport(aed_used=False, pads_replaced=False, new_pad_expiry=None,
                              aed_returned=True)
        for aed in aeds:
            close_incident(db, aed, back, None, at, aed_ctx)
        db.commit()
        race(notifier, job_ctx)
        wait_for(lambda: len(box.messages) >= 2 * count and len(hook.bodies) >= 2 * count,
                 timeout=15, message=lambda: f"{count} resolutions: {texts(box, hook)}")
    finally:
        assert notifier.stop()
    # Once everything settled, one more of each finds nothing left to send.
    run_job(job_ctx, JOBS["notify"])
    notifier.run_once()

    mails, robots = texts(box, hook)
    for got in (mails, robots):
        assert len(got) == 2 * count, got
        assert set(Counter(got).values()) == {1}, got
        assert sum(t.startswith("【紧急】AED 被取出使用") for t in got) == count
        assert sum(t.startswith("已恢复:AED 被取出使用") for t in got) == count
    rows = logs(db)
    assert len(rows) == 4 * count
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    # Both took part.
    assert notifier.passes >= 2
    assert db.scalar(select(func.count()).select_from(JobRun)) >= 4


def test_the_end_of_an_alert_reaches_those_who_heard_of_it_once(
    app: Flask, db: Session, mail: tuple[int, MailBox], hook: WebhookReceiver
) -> None:
    port, box = mail
    team, other = make_team(db), make_team(db, "wujiaochang")
    email_channel(db, port, team)
    webhook_channel(db, hook.url, team, fmt="json", locale="en")
    elsewhere = WebhookReceiver()
    elsewhere.start()
    try:
        webhook_channel(db, elsewhere.url, other)
        told = monitored_aed(db, make_site(db, 1, team=team), 1, NOW)
        quick = monitored_aed(db, make_site(db, 2, team=team), 2, NOW)
        db.commit()
        ctx = AedContext.of(get_settings(app), POLICY)
        report(db, [told], NOW, ctx, self_test="fail")
        db.commit()
        tell(app, db, NOW)
        # The second AED fails and passes again before any notification went out.
        report(db, [quick], NOW + timedelta(minutes=1), ctx, self_test="fail")
        db.commit()
        back = NOW + timedelta(minutes=2)
        refreshed = report(db, [told, quick], back, ctx, self_test="pass")
        db.commit()
        assert len(refreshed.alerts.resolved) == 2
        for minute in (2, 3, 4):
            tell(app, db, NOW + timedelta(minutes=minute))
    finally:
        elsewhere.stop()

    assert [str(m["Subject"]) for m in box.messages] == [
        "【严重】自检失败 - 测试站点1", "已恢复:自检失败 - 测试站点1"]
    body = box.messages[1].get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().splitlines() == [
        "滨江AED1:已恢复正常", "地点:测试站点1", "恢复时间:11月29日 10:02"]
    assert [b["subject"] for b in hook.bodies] == [
        "[Critical] Self-test failed - Site 1", "Resolved: Self-test failed - Site 1"]
    assert hook.bodies[1]["body"].splitlines() == [
        "Riverside AED 1: back to normal", "Where: Site 1", "Resolved at: 29 Nov 10:02"]
    assert elsewhere.bodies == []
    quick_alerts = list(db.scalars(select(Alert.id).where(Alert.asset_id == quick.id)))
    assert [r for r in logs(db) if r.alert_id in quick_alerts] == []
    assert [r.event for r in logs(db)] == ["opened", "opened", "resolved", "resolved"]


def test_an_alert_over_before_its_message_left_is_told_to_nobody(
    app: Flask, db: Session, hook: WebhookReceiver
) -> None:
    """A warning held by quiet hours that clears in the night: neither it nor its end
    wakes anyone in the morning."""
    team = make_team(db)
    channel = webhook_channel(db, hook.url, team)
    channel.quiet_start, channel.quiet_end = "22:00", "07:00"
    night = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    aed = monitored_aed(db, make_site(db, team=team), 1, night)
    db.commit()
    ctx = AedContext.of(get_settings(app), POLICY)
    report(db, [aed], night, ctx, battery_pct=11)
    db.commit()
    tell(app, db, night)
    assert [r.status for r in logs(db)] == ["deferred"]
    later = night + timedelta(minutes=2)
    report(db, [aed], later, ctx, battery_pct=95)
    db.commit()
    tell(app, db, later)
    tell(app, db, datetime(2026, 11, 29, 23, 1, tzinfo=UTC))  # 07:01
    assert hook.bodies == []
    assert [(r.event, r.status) for r in logs(db)] == [("opened", "cancelled")]


def test_a_cabinet_opening_that_became_a_use_is_not_told_as_over(
    app: Flask, db: Session, hook: WebhookReceiver
) -> None:
    """Cabinet opened, then the AED taken: the opening gives way to the use incident,
    which is news; "resolved: cabinet opened" would tell a coordinator the AED is back."""
    team = make_team(db)
    webhook_channel(db, hook.url, team)
    aed: Asset = monitored_aed(db, make_site(db, team=team), 1, NOW)
    db.commit()
    ctx = AedContext.of(get_settings(app), POLICY)
    report(db, [aed], NOW, ctx, door="open", door_opened_at=NOW)
    db.commit()
    tell(app, db, NOW)
    later = NOW + timedelta(seconds=20)
    report(db, [aed], later, ctx, aed_present=False, aed_removed_at=later)
    db.commit()
    assert dict(db.execute(select(Alert.kind, Alert.resolution)).all()) == {
        "cabinet_opened": "superseded by aed_in_use", "aed_in_use": None}
    tell(app, db, later)
    tell(app, db, later + timedelta(seconds=15))
    firsts = [b["text"]["content"].split("\n")[0] for b in hook.bodies]
    assert firsts == ["【紧急】机柜被打开 - 测试站点1", "【紧急】AED 被取出使用 - 测试站点1"]


def test_a_pass_asked_for_runs_before_the_notifier_stops(app: Flask) -> None:
    notifier = Notifier(database(app), get_settings(app), POLICY).start()
    notifier.wake()
    assert notifier.stop()
    assert (notifier.passes, notifier.failed, notifier.alive) == (1, 0, False)
    assert notifier.last == {"alerts": 0, "messages": 0, "resolutions": 0}


def test_a_failing_pass_is_retried_then_left_to_the_job(app: Flask) -> None:
    """The database away: three retries after the first failure, then the thread waits
    for the next wake (the notify job covers the rest), alive."""
    nowhere = Database(f"postgresql+psycopg://aed@127.0.0.1:{free_port()}/aed")
    notifier = Notifier(nowhere, get_settings(app), POLICY, retry_s=0.01).start()
    try:
        notifier.wake()
        wait_for(lambda: notifier.failed >= 4, timeout=20, message="four failed passes")
        assert notifier.alive
    finally:
        assert notifier.stop()
        nowhere.dispose()
    assert (notifier.failed, notifier.passes) == (4, 0)
