"""Pushes to a platform over real HTTP: one signed delivery per change of an AED's
public status, hours or position (and when it enters or leaves the feed), through the
notification outbox. A platform that is down for an hour gets every change once when it
is back, in order per AED, though each retry waits out its own backoff.

Time is driven the way tests/notify drive it: each writer and each delivery round is
given its moment; nothing sleeps."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.alerts.policy import AlertPolicy
from app.config import ConfigError
from app.db import Database
from app.extensions import get_aed_context, get_settings
from app.models import Asset, NotificationChannel, NotificationLog
from app.notify.config_file import sync_channels_file
from app.notify.dispatch import DUE, dispatch_pending
from tests.factories import make_aed, make_site
from tests.feeds.platform_receiver import PlatformReceiver

SECRET = "platform-shared-secret-0123"
# Monday 2026-11-30 10:00 in Shanghai.
T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
#: The shipped retry policy (30 attempts, 30 s doubling to an hour); a quick timeout.
POLICY = AlertPolicy(send_timeout_s=3)


@pytest.fixture
def platform(db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[PlatformReceiver]:
    receiver = PlatformReceiver(SECRET)
    receiver.start()
    monkeypatch.setenv("AED_PLATFORM_SECRET", SECRET)
    channels = tmp_path / "notifications.toml"
    channels.write_text(f'[feeds.city]\nurl = "{receiver.url}"\n'
                        'secret_env = "AED_PLATFORM_SECRET"\n', encoding="utf-8")
    assert sync_channels_file(db, channels) == 1
    db.commit()
    yield receiver
    receiver.stop()


def deliver(app: Flask, when: datetime) -> dict[str, int]:
    database: Database = app.extensions["aed.db"]
    return dispatch_pending(database, when, get_settings(app), POLICY)


def change(app: Flask, db: Session, aed: Asset, when: datetime, **values: Any) -> None:
    """A writer changes the AED and applies the evaluation, as every writer does."""
    for name, value in values.items():
        setattr(aed, name, value)
    refresh_aeds(db, [aed.id], when, get_aed_context(app))
    db.commit()


DISTRICT_SECRET = "district-secret-4567"


def add_district(db: Session, tmp_path: Path, city: PlatformReceiver,
                 district: PlatformReceiver) -> None:
    """A second platform beside the city's, its secret in the file itself."""
    channels = tmp_path / "two.toml"
    channels.write_text(f'[feeds.city]\nurl = "{city.url}"\nsecret_env = '
                        f'"AED_PLATFORM_SECRET"\n[feeds.district]\nurl = "{district.url}"\n'
                        f'secret = "{DISTRICT_SECRET}"\n', encoding="utf-8")
    assert sync_channels_file(db, channels) == 2
    db.commit()


def waiting(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count(NotificationLog.id))
                         .where(NotificationLog.status.in_(DUE))) or 0)


def test_each_status_change_is_pushed_once_signed(app: Flask, db: Session,
                                                   platform: PlatformReceiver) -> None:
    site = make_site(db, opening_hours="Mo-Fr 08:00-18:00")
    good = {"pad_expiry": T0.date() + timedelta(days=400),
            "battery_expiry": T0.date() + timedelta(days=800),
            "last_inspection_at": T0 - timedelta(days=3)}
    aed = make_aed(db, site, guardian_phone="13911112222", **{
        "pad": good["pad_expiry"], "battery": good["battery_expiry"],
        "last_inspection_at": good["last_inspection_at"]})
    change(app, db, aed, T0)  # it enters the feed
    change(app, db, aed, T0 + timedelta(minutes=1), pad_expiry=T0.date() - timedelta(days=1))
    change(app, db, aed, T0 + timedelta(minutes=2), level="2")  # a tag: not pushed
    change(app, db, aed, T0 + timedelta(minutes=3), **good)
    change(app, db, aed, T0 + timedelta(minutes=4), public=False)  # leaves the feed
    assert deliver(app, T0 + timedelta(minutes=5)) == {"sent": 4}
    bodies = platform.verified()
    assert [(b["seq"], b["event"]) for b in bodies] == [
        (1, "changed"), (2, "changed"), (3, "changed"), (4, "removed")]
    assert [b["feature"]["properties"].get("status") for b in bodies] == [
        "ready", "not_ready", "ready", None]
    assert {b["aed_id"] for b in bodies} == {aed.id} and {b["feed"] for b in bodies} == {"city"}
    assert len({b["delivery_id"] for b in bodies}) == 4
    assert bodies[0]["occurred_at"] == "2026-11-30T02:00:00Z"
    # Open now, as of the change: 10:00 on a Monday.
    assert bodies[0]["feature"]["properties"]["open_now"] is True
    assert bodies[2]["feature"]["properties"]["level"] == "2"
    assert bodies[3]["feature"] == {"type": "Feature", "id": aed.id, "geometry": None,
                                    "properties": {"retired": True,
                                                   "updated_at": "2026-11-30T02:04:00Z"}}
    assert "13911112222" not in repr(platform.requests)
    # Delivered means done: another round sends nothing again.
    assert deliver(app, T0 + timedelta(minutes=10)) == {}
    assert len(platform.requests) == 4


def test_a_platform_down_for_an_hour_gets_every_change_once_in_order(
        app: Flask, db: Session, platform: PlatformReceiver) -> None:
    site = make_site(db)
    first, second = make_aed(db, site, 1), make_aed(db, site, 2)
    change(app, db, first, T0)
    change(app, db, second, T0)
    assert deliver(app, T0) == {"sent": 2}
    platform.stop()
    when = T0
    moves = [(first, {"access_hours": "Mo-Su 07:00-22:00"}), (second, {"lat": 31.30}),
             (first, {"pad_expiry": T0.date() - timedelta(days=1)}), (second, {"public": False}),
             (first, {"lat": 31.31}), (second, {"public": True}),
             (first, {"access_hours": "24/7"})]
    for aed, values in moves:
        when += timedelta(minutes=1)
        change(app, db, aed, when, **values)
    # An hour of delivery rounds against a platform that is not there.
    for _ in range(60):
        when += timedelta(minutes=1)
        assert "sent" not in deliver(app, when)
    assert waiting(db) == len(moves)
    retrying = db.scalars(select(NotificationLog.next_attempt_at)
                          .where(NotificationLog.status == "retrying")).all()
    assert len(retrying) >= 2  # several heads wait out different backoffs

    platform.start()  # back, on the same address
    rounds = 0
    while waiting(db) and rounds < 24 * 60:
        when += timedelta(minutes=1)
        deliver(app, when)
        rounds += 1
    assert waiting(db) == 0
    bodies = platform.verified()
    assert len(bodies) == 2 + len(moves)
    assert len({b["delivery_id"] for b in bodies}) == len(bodies)  # each once
    by_aed: dict[int, list[int]] = defaultdict(list)
    for body in bodies:
        by_aed[body["aed_id"]].append(body["seq"])
    # In order per AED, none missing.
    assert by_aed[first.id] == [1, 2, 3, 4, 5]
    assert by_aed[second.id] == [1, 2, 3, 4]
    last = [b for b in bodies if b["aed_id"] == first.id][-1]["feature"]
    assert last["properties"]["opening_hours"] == "24/7"
    assert last["properties"]["status"] == "not_ready"
    assert last["geometry"]["coordinates"][1] == 31.31


def test_a_platform_added_later_starts_with_the_next_change(
        app: Flask, db: Session, tmp_path: Path, platform: PlatformReceiver) -> None:
    site = make_site(db)
    aed = make_aed(db, site)
    change(app, db, aed, T0)
    change(app, db, aed, T0 + timedelta(minutes=1), lat=31.2)
    late = PlatformReceiver(DISTRICT_SECRET)
    late.start()
    try:
        add_district(db, tmp_path, platform, late)
        change(app, db, aed, T0 + timedelta(minutes=2), lat=31.3)
        assert deliver(app, T0 + timedelta(minutes=3)) == {"sent": 4}
        assert [b["seq"] for b in platform.verified()] == [1, 2, 3]
        assert [b["seq"] for b in late.verified()] == [3]
    finally:
        late.stop()


def test_platforms_come_from_the_channels_file(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "notifications.toml"

    def sync(text: str) -> dict[str, tuple[bool, dict[str, Any]]]:
        path.write_text(text, encoding="utf-8")
        sync_channels_file(db, path)
        db.commit()
        return {c.name: (c.enabled, c.config) for c in db.scalars(
            select(NotificationChannel).where(NotificationChannel.kind == "platform"))}

    assert sync('[feeds.city]\nurl = "https://aed.example.gov.cn/hook"\n'
                'secret_env = "CITY_SECRET"\n') == {
        "feed:city": (True, {"url": "https://aed.example.gov.cn/hook", "feed": "city",
                             "secret_env": "CITY_SECRET"})}
    assert sync('[feeds.city]\nurl = "https://aed.example.gov.cn/v2"\nsecret = "s"\n'
                'enabled = false\n')["feed:city"] == (
        False, {"url": "https://aed.example.gov.cn/v2", "feed": "city", "secret": "s"})
    assert sync("") == {"feed:city": (False, {"url": "https://aed.example.gov.cn/v2",
                                              "feed": "city", "secret": "s"})}
    for bad, says in (
            ('[feeds.city]\nurl = "ftp://x"\nsecret = "s"\n', "url must be an http(s) URL"),
            ('[feeds.city]\nurl = "https://x"\n', "exactly one of secret_env"),
            ('[feeds.city]\nurl = "https://x"\nsecret = "s"\nsecret_env = "E"\n',
             "exactly one of secret_env"),
            ('[feeds.city]\nurl = "https://x"\nsecret = "s"\ntoken = "t"\n', "unknown keys"),
            ('feeds = "city"\n', "one table per platform")):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(says)):
            sync_channels_file(db, path)
        db.rollback()


def test_pushes_waiting_behind_a_retry_leave_the_round_to_those_that_can_go(
        app: Flask, db: Session, tmp_path: Path, platform: PlatformReceiver) -> None:
    """A platform that is down holds its queue; the rows waiting behind its retries take
    no places in a delivery round, so another platform (or an alert) is not starved."""
    up = PlatformReceiver(DISTRICT_SECRET)
    up.start()
    try:
        add_district(db, tmp_path, platform, up)
        platform.stop()
        site = make_site(db)
        first = make_aed(db, site, 1)
        for minute, lat in enumerate((31.20, 31.21, 31.22)):
            change(app, db, first, T0 + timedelta(minutes=minute), lat=lat)
        # The city's first push fails and waits for its retry; its next two wait behind it.
        assert deliver(app, T0 + timedelta(minutes=3)) == {"sent": 3, "retrying": 1}
        second = make_aed(db, site, 2)
        change(app, db, second, T0 + timedelta(minutes=3))
        # Two places a round, before the city's retry: its waiting rows (the oldest) must
        # not take them.
        got = dispatch_pending(app.extensions["aed.db"], T0 + timedelta(minutes=3, seconds=10),
                               get_settings(app), POLICY, limit=2)
        assert got == {"sent": 1, "retrying": 1}
        assert [(b["aed_id"], b["seq"]) for b in up.verified()][-1] == (second.id, 1)
    finally:
        up.stop()
