"""Time travel with an injected clock: each expiry stage alerts once, replacing clears."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.expiry_scan import run_expiry_scan
from app.alerts.policy import AlertPolicy
from app.models import Alert
from tests.scheduler.factories import make_aed, make_item, make_site, stock

TZ = ZoneInfo("Asia/Shanghai")
POLICY = AlertPolicy()
PAD_EXPIRY = date(2027, 3, 1)


def at_days_left(days: int) -> datetime:
    """A clock reading at 10:00 Shanghai time, `days` before the pad expiry."""
    local = datetime.combine(PAD_EXPIRY - timedelta(days=days), datetime.min.time(), TZ)
    return (local + timedelta(hours=10)).astimezone(UTC)


def alerts(db: Session) -> list[tuple[str, str, int | None]]:
    db.expire_all()
    rows = db.scalars(select(Alert).order_by(Alert.id)).all()
    return [(a.kind, a.status, a.stage) for a in rows]


def test_pad_stages_91_90_30_7_0_minus1_each_once(db: Session) -> None:
    site = make_site(db)
    aed = make_aed(db, site, pad=PAD_EXPIRY, battery=date(2030, 1, 1))
    db.commit()
    seen: dict[int, list[tuple[str, str, int | None]]] = {}
    for days in (91, 90, 89, 30, 29, 7, 1, 0, -1):
        first = run_expiry_scan(db, at_days_left(days), TZ, POLICY)
        again = run_expiry_scan(db, at_days_left(days), TZ, POLICY)
        db.commit()
        assert not any(again.values()), again  # a second run of the same clock: no change
        seen[days] = alerts(db)
        if days == 90:
            assert first["pad_opened"] == 1

    assert seen[91] == []
    assert seen[90] == [("pad_expiring", "open", 90)]
    assert seen[89] == [("pad_expiring", "open", 90)]
    assert seen[30] == [("pad_expiring", "open", 30)]
    assert seen[29] == seen[30]
    assert seen[7] == [("pad_expiring", "open", 7)]
    assert seen[1] == seen[7]
    assert seen[0] == [("pad_expiring", "resolved", 7), ("pad_expired", "open", 0)]
    assert seen[-1] == seen[0]
    expired = db.scalars(select(Alert).where(Alert.kind == "pad_expired")).one()
    assert expired.severity == "critical" and expired.asset_id == aed.id
    assert "2027-03-01" in (expired.message or "") and "过期" in (expired.message or "")

    # The volunteer replaces the pads: the next scan resolves everything.
    aed.pad_expiry = date(2029, 3, 1)
    db.commit()
    summary = run_expiry_scan(db, at_days_left(-2), TZ, POLICY)
    db.commit()
    assert (summary["pad_opened"], summary["pad_resolved"]) == (0, 1)
    assert all(status == "resolved" for _k, status, _s in alerts(db))
    assert len(alerts(db)) == 2


def test_each_stage_is_marked_for_one_notification(db: Session) -> None:
    site = make_site(db)
    make_aed(db, site, pad=PAD_EXPIRY, battery=date(2030, 1, 1))
    db.commit()
    run_expiry_scan(db, at_days_left(90), TZ, POLICY)
    alert = db.scalars(select(Alert)).one()
    assert alert.last_notified_at is None
    alert.last_notified_at = at_days_left(90)  # the notifier sent the 90-day stage
    db.commit()
    run_expiry_scan(db, at_days_left(60), TZ, POLICY)
    db.commit()
    db.refresh(alert)
    assert alert.last_notified_at is not None  # same stage: nothing new to say
    run_expiry_scan(db, at_days_left(30), TZ, POLICY)
    db.commit()
    db.refresh(alert)
    assert alert.stage == 30 and alert.last_notified_at is None


def test_battery_and_pads_are_separate_alerts(db: Session) -> None:
    site = make_site(db)
    make_aed(db, site, pad=PAD_EXPIRY, battery=PAD_EXPIRY + timedelta(days=20))
    db.commit()
    run_expiry_scan(db, at_days_left(7), TZ, POLICY)
    db.commit()
    assert sorted(alerts(db)) == [("battery_expiring", "open", 30), ("pad_expiring", "open", 7)]


def test_stock_lots_stage_per_station_and_clear_when_used_up(db: Session) -> None:
    site = make_site(db)
    gauze, iodine = make_item(db), make_item(db, "iodine", "碘伏棉棒")
    lot = stock(db, site, gauze, 5, PAD_EXPIRY)
    stock(db, site, iodine, 5, PAD_EXPIRY + timedelta(days=60))
    stock(db, site, iodine, 5, None)
    db.commit()
    run_expiry_scan(db, at_days_left(91), TZ, POLICY)
    assert alerts(db) == []
    run_expiry_scan(db, at_days_left(40), TZ, POLICY)
    db.commit()
    assert alerts(db) == [("stock_expiring", "open", 90)]
    run_expiry_scan(db, at_days_left(0), TZ, POLICY)
    db.commit()
    assert alerts(db) == [("stock_expiring", "open", 0)]
    only = db.scalars(select(Alert)).one()
    assert only.subject_type == "site" and only.site_id == site.id
    lot.quantity = 0  # the expired lot was thrown away
    db.commit()
    run_expiry_scan(db, at_days_left(0), TZ, POLICY)
    db.commit()
    assert alerts(db) == [("stock_expiring", "open", 90)]
