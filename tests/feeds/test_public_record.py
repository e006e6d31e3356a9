"""An AED's public record moves its ``updated_at`` when, and only when, something a
platform sees changes: status, hours, position, tags, dates, leaving the feed. The
evaluation's "attention" is ready to the public, and open now is of the moment, not of
the record. Written by the writers' one path (app/aeds/refresh.py)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.aeds.reconcile import reconcile
from app.aeds.refresh import refresh_aeds
from app.extensions import get_aed_context
from app.feeds.record import PUBLIC_STATUSES, available, public_status
from app.heap import cycle_collection_paused
from app.models import Asset, NotificationLog
from tests.factories import make_aed, make_site

# Monday 2026-11-30 10:00 in Shanghai.
T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def stamp(db: Session, aed: Asset) -> tuple[datetime | None, int, str]:
    db.expire_all()
    row = db.execute(select(Asset.public_updated_at, Asset.public_seq, Asset.status)
                     .where(Asset.id == aed.id)).one()
    return row[0], row[1], row[2]


def test_updated_at_moves_only_when_the_public_record_changes(app: Flask, db: Session
                                                              ) -> None:
    ctx = get_aed_context(app)
    site = make_site(db, opening_hours="Mo-Fr 08:00-18:00")
    aed = make_aed(db, site, pad=T0.date() + timedelta(days=400),
                   battery=T0.date() + timedelta(days=800), install_date=T0.date(),
                   last_inspection_at=T0 - timedelta(days=10))

    def at(moment: datetime) -> tuple[datetime | None, int, str]:
        refresh_aeds(db, [aed.id], moment, ctx)
        db.commit()
        return stamp(db, aed)

    assert at(T0) == (T0, 1, "ready")
    # Nothing changed; nor when the station closes for the night (open now is the
    # moment's, not the record's).
    assert at(T0 + timedelta(hours=1)) == (T0, 1, "ready")
    assert at(T0 + timedelta(hours=10)) == (T0, 1, "ready")
    # The check falls due soon: "attention" to volunteers, still ready to the public.
    assert at(T0 + timedelta(days=15)) == (T0, 1, "attention")
    # Overdue: not ready, a changed record, pushed.
    overdue = T0 + timedelta(days=21)
    assert at(overdue) == (overdue, 2, "not_ready")
    # A tag (the floor) changes the record but is not pushed.
    aed.level = "-1"
    assert at(overdue + timedelta(minutes=5)) == (overdue + timedelta(minutes=5), 2,
                                                   "not_ready")
    # Hours and position are pushed.
    aed.access_hours = "24/7"
    assert at(overdue + timedelta(minutes=6))[:2] == (overdue + timedelta(minutes=6), 3)
    aed.lat += 0.0005
    assert at(overdue + timedelta(minutes=7))[:2] == (overdue + timedelta(minutes=7), 4)
    # No platform is configured: nothing was queued.
    assert db.scalar(select(func.count(NotificationLog.id))) == 0


def test_a_status_the_reconciliation_finds_moved_reaches_the_feed(app: Flask, db: Session
                                                                  ) -> None:
    ctx = get_aed_context(app)
    aed = make_aed(db, make_site(db), pad=T0.date() + timedelta(days=400),
                   battery=T0.date() + timedelta(days=800), install_date=T0.date(),
                   last_inspection_at=T0 - timedelta(days=1))
    refresh_aeds(db, [aed.id], T0, ctx)
    db.commit()
    assert stamp(db, aed) == (T0, 1, "ready")
    # Changed behind every writer's back (a restored backup, a hand edit in SQL): the
    # hourly pass is what finds it.
    db.execute(update(Asset).where(Asset.id == aed.id).values(
        pad_expiry=T0.date() - timedelta(days=1)))
    db.commit()
    later = T0 + timedelta(minutes=10)
    reconcile(db, later, ctx)
    db.commit()
    assert stamp(db, aed) == (later, 2, "not_ready")


def test_leaving_the_feed_is_recorded_and_never_being_in_it_is_not(app: Flask, db: Session
                                                                   ) -> None:
    ctx = get_aed_context(app)
    site = make_site(db)
    shown = make_aed(db, site, 1)
    private = make_aed(db, site, 2, public=False)
    refresh_aeds(db, [shown.id, private.id], T0, ctx)
    db.commit()
    assert stamp(db, private)[:2] == (None, 0)
    shown.public = False
    refresh_aeds(db, [shown.id, private.id], T0 + timedelta(minutes=1), ctx)
    db.commit()
    assert stamp(db, shown)[:2] == (T0 + timedelta(minutes=1), 2)
    assert stamp(db, private)[:2] == (None, 0)
    shown.public = True
    refresh_aeds(db, [shown.id], T0 + timedelta(minutes=2), ctx)
    db.commit()
    assert stamp(db, shown)[:2] == (T0 + timedelta(minutes=2), 3)


def test_the_feeds_status_and_availability() -> None:
    assert {public_status(code) for code in
            ("ready", "attention", "not_ready", "in_use", "unknown", "garbage")} == set(
        PUBLIC_STATUSES)
    assert public_status("attention") == "ready"
    assert public_status("garbage") == "unknown"
    assert available("ready", True) is True
    assert available("ready", None) is None
    assert available("unknown", True) is None
    assert available("unknown", False) is False
    assert available("in_use", True) is False
    assert available("not_ready", None) is False


def test_the_cycle_collector_is_back_on_after_a_page_even_one_that_failed() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("the database went away")
    assert gc.isenabled()
