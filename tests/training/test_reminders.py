"""Certificate reminders reach the responder's team through the notification channels:
at 90 and 30 days before expiry (notified once per stage), then the expiry itself; a
renewal ends it. Real SMTP server, the scheduler's own jobs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.extensions import get_db, get_settings
from app.i18n.when import local_day
from app.models import Alert, NotificationLog
from app.scheduler.context import JobContext
from app.scheduler.jobs import JOBS, run_job
from tests.notify.channels import email_channel
from tests.notify.receivers import MailBox, smtp_server
from tests.support.wait import wait_for
from tests.training.conftest import World
from tests.training.factories import TZ, make_responder, today

POLICY = AlertPolicy(send_timeout_s=3)


@pytest.fixture
def mail() -> Iterator[tuple[int, MailBox]]:
    with smtp_server() as server:
        yield server


def context(app: Flask) -> JobContext:
    return JobContext(db=get_db(app), settings=get_settings(app), policy=POLICY, runner="test")


def at_ten(days_from_today: int) -> datetime:
    """10:00 in Shanghai, that many days from today."""
    day = today() + timedelta(days=days_from_today)
    return datetime(day.year, day.month, day.day, 10, tzinfo=TZ).astimezone(UTC)


def run_hour(app: Flask, now: datetime) -> None:
    """The training check, then the notifier, as the scheduler runs them."""
    with app.app_context():
        run_job(context(app), JOBS["training"], now)
        run_job(context(app), JOBS["notify"], now)


def reminders(box: MailBox) -> list[EmailMessage]:
    """The messages about certificates (the station's cover is told too)."""
    return [m for m in box.messages if "救护员证" in str(m["Subject"])]


def certificate_alerts(db: Session) -> list[Alert]:
    db.expire_all()
    return list(db.scalars(select(Alert).where(Alert.subject_type == "responder")
                           .order_by(Alert.id)))


def test_29_days_before_expiry_one_reminder_reaches_the_team_by_smtp(
        app: Flask, db: Session, world: World, mail: tuple[int, MailBox]) -> None:
    port, box = mail
    email_channel(db, port, world.team, name="riverside-mail")
    with smtp_server() as (other_port, other_box):
        email_channel(db, other_port, world.other_team, name="aikang-mail")
        person = make_responder(db, 1, today() + timedelta(days=29), team=world.team)
        db.commit()
        now = at_ten(0)
        run_hour(app, now)
        wait_for(lambda: reminders(box), timeout=10, message="the reminder")
        run_hour(app, now + timedelta(hours=1))
        run_hour(app, now + timedelta(hours=2))
        db.expire_all()
        sent = db.scalars(select(NotificationLog).join(Alert, Alert.id == NotificationLog.alert_id)
                          .where(Alert.subject_type == "responder")).all()
        assert [row.status for row in sent] == ["sent"]
        assert reminders(other_box) == []  # another team's channel hears nothing of it
    [message] = reminders(box)
    expiry = person.certificate_expires_on
    assert expiry is not None
    assert str(message["Subject"]) == "【警告】救护员证即将到期(≤30 天)"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    first = body.get_content().splitlines()[0]
    assert first == (f"测试救护员001:救护员证将于 {local_day(expiry, 'zh_CN', today())} 到期"
                     "(≤30 天),请安排复训")
    [alert] = certificate_alerts(db)
    assert (alert.kind, alert.stage, alert.assigned_team_id) == (
        "certificate_expiring", 30, world.team.id)
    assert alert.detail == {"expiry": expiry.isoformat()}


def test_stages_90_then_30_then_expired_each_told_once_and_a_renewal_ends_it(
        app: Flask, db: Session, world: World, mail: tuple[int, MailBox]) -> None:
    port, box = mail
    email_channel(db, port, world.team)
    person = make_responder(db, 2, today() + timedelta(days=60), team=world.team)
    db.commit()
    subjects = []
    for offset, count in ((0, 1), (1, 1), (31, 2), (32, 2), (60, 3), (61, 3)):
        run_hour(app, at_ten(offset))
        wait_for(lambda n=count: len(reminders(box)) >= n, timeout=10,
                 message=lambda n=count: f"{n} messages, got "
                 f"{[m['Subject'] for m in box.messages]}")
        subjects = [str(m["Subject"]) for m in reminders(box)]
        assert len(subjects) == count, (offset, subjects)
    assert subjects == ["【警告】救护员证即将到期(≤90 天)", "【警告】救护员证即将到期(≤30 天)",
                        "【警告】救护员证已过期"]
    alerts = certificate_alerts(db)
    assert [(a.kind, a.status) for a in alerts] == [
        ("certificate_expiring", "resolved"), ("certificate_expired", "open")]
    assert alerts[0].resolution == "superseded by certificate_expired"

    # A certificate course renews it: the expired alert resolves at the next check.
    person = db.merge(person)
    person.certificate_expires_on = today() + timedelta(days=61 + 3 * 365)
    db.commit()
    run_hour(app, at_ten(62))
    assert [(a.kind, a.status) for a in certificate_alerts(db)][-1] == (
        "certificate_expired", "resolved")


def test_people_nobody_relies_on_get_no_reminder(
        app: Flask, db: Session, world: World) -> None:
    make_responder(db, 3, today() + timedelta(days=10))  # no team, no station
    make_responder(db, 4, today() + timedelta(days=10), sites=[world.point])
    db.commit()
    run_hour(app, at_ten(0))
    [alert] = certificate_alerts(db)
    # Serving a station without a team: the station's team hears of it.
    assert alert.assigned_team_id == world.point.team_id
