"""Leader election and period claims, in one process against the real databases."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy, load_alert_policy
from app.config import ConfigError
from app.db import Database
from app.models import Lease
from app.scheduler.jobs import JOBS, enabled_jobs
from app.scheduler.leader import AdvisoryLockLeader, LeaseLeader
from app.scheduler.periods import daily_period, interval_period
from app.scheduler.watermark import claim_period
from tests.support.postgres import PostgresServer
from tests.support.wait import wait_for

NOW = datetime(2026, 11, 29, 2, 0, 30, tzinfo=UTC)


def test_lease_leader_takes_over_only_after_expiry(app: Flask, db: Session) -> None:
    database: Database = app.extensions["aed.db"]
    a = LeaseLeader(database, "a", lease_s=1.0)
    b = LeaseLeader(database, "b", lease_s=1.0)
    assert a.acquire_or_renew() is True
    assert b.acquire_or_renew() is False
    assert a.acquire_or_renew() is True  # renewal
    started = time.monotonic()
    # `a` stops renewing (it died): `b` gets the lease once it has expired, not before.
    wait_for(b.acquire_or_renew, timeout=5, message="b to take the expired lease")
    assert time.monotonic() - started >= 0.5
    assert a.acquire_or_renew() is False
    lease = db.get(Lease, "scheduler-leader")
    assert lease is not None and lease.holder == "b"
    b.release()
    assert a.acquire_or_renew() is True


@pytest.mark.pg
def test_advisory_lock_is_exclusive_and_freed_with_its_connection(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database()
    database = Database(url)
    a = AdvisoryLockLeader(database, "a")
    b = AdvisoryLockLeader(database, "b")
    try:
        assert a.acquire_or_renew() is True
        assert b.acquire_or_renew() is False
        assert a.acquire_or_renew() is True  # still holding
        a.release()
        assert b.acquire_or_renew() is True
    finally:
        a.release()
        b.release()
        database.dispose()
        pg_server.drop_database(url)


def test_a_period_is_claimed_once_and_never_goes_back(db: Session) -> None:
    p1, p2 = interval_period(NOW, 60), interval_period(NOW + timedelta(seconds=60), 60)
    assert p1 == "2026-11-29T02:00:00.000000Z" and p2 > p1
    assert claim_period(db, "expiry_scan", p1, NOW) is True
    db.commit()
    assert claim_period(db, "expiry_scan", p1, NOW) is False
    assert claim_period(db, "expiry_scan", p2, NOW) is True
    db.commit()
    assert claim_period(db, "expiry_scan", p1, NOW) is False


def test_daily_period_is_the_last_local_slot() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    # 07:30 local: today's 08:00 digest is not due yet, so the period is yesterday's.
    assert daily_period(datetime(2026, 11, 28, 23, 30, tzinfo=UTC), 8, tz) == \
        "2026-11-28T00:00:00.000000Z"
    assert daily_period(datetime(2026, 11, 29, 0, 30, tzinfo=UTC), 8, tz) == \
        "2026-11-29T00:00:00.000000Z"


def test_channels_file_is_configuration(db: Session, tmp_path: Path) -> None:
    from sqlalchemy import select

    from app.models import NotificationChannel
    from app.notify.config_file import sync_channels_file
    from tests.scheduler.factories import make_team

    make_team(db, "riverside")
    path = tmp_path / "notifications.toml"
    path.write_text(
        '[[channel]]\nname = "riverside-wecom"\nkind = "webhook"\n'
        'url = "http://127.0.0.1:9/send"\nformat = "wecom"\nquiet_hours = "22:00-07:00"\n'
        '  [[channel.route]]\n  team = "riverside"\n  min_severity = "warning"\n'
        '  kinds = ["pad_expired", "aed_in_use"]\n', encoding="utf-8")
    assert sync_channels_file(db, path) == 1
    assert sync_channels_file(db, path) == 1  # re-sync updates, never duplicates
    db.commit()
    [channel] = db.scalars(select(NotificationChannel)).all()
    assert channel.config == {"url": "http://127.0.0.1:9/send", "format": "wecom"}
    assert (channel.quiet_start, channel.quiet_end) == ("22:00", "07:00")
    [route] = channel.routes
    assert route.kinds == "pad_expired,aed_in_use" and route.min_severity == "warning"


def test_every_defined_job_is_enabled_by_default() -> None:
    assert enabled_jobs(AlertPolicy()) == list(JOBS.values())


def test_an_unknown_job_name_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        enabled_jobs(AlertPolicy(enabled_jobs=("reconcile", "coffee")))
    assert info.value.setting == "ALERTS_JOBS" and "coffee" in info.value.problem


def test_one_jobs_period_comes_from_the_environment() -> None:
    policy = load_alert_policy(env={"ALERTS_INTERVAL_RECONCILE": "60"})
    assert policy.interval_of("reconcile") == 60
    assert policy.interval_of("deadlines") == 5  # config/alerts.toml
    with pytest.raises(ConfigError) as info:
        load_alert_policy(env={"ALERTS_INTERVAL_RECONCILE": "often"})
    assert info.value.setting == "ALERTS_INTERVAL_RECONCILE"
