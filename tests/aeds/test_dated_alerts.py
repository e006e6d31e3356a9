"""Dated facts over time, through the reconcile job with an injected clock: expiry
stages once each, a stage notified once, pads and battery apart, the monthly check."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Asset
from tests.factories import make_aed, make_site

TZ = ZoneInfo("Asia/Shanghai")
PAD_EXPIRY = date(2027, 3, 1)


def at_days_left(days: int) -> datetime:
    """A clock reading at 10:00 Shanghai time, `days` before the pad expiry."""
    local = datetime.combine(PAD_EXPIRY - timedelta(days=days), datetime.min.time(), TZ)
    return (local + timedelta(hours=10)).astimezone(UTC)


def reconcile(runner: FlaskCliRunner, when: datetime) -> dict[str, int]:
    result = runner.invoke(args=["jobs", "run-once", "reconcile", "--now", when.isoformat()])
    assert result.exit_code == 0, result.output
    if "already ran" in result.output:
        return {}
    return json.loads(result.output.strip().splitlines()[-1])["summary"]


def alerts(db: Session, kinds: tuple[str, ...]) -> list[tuple[str, str, int | None]]:
    db.expire_all()
    rows = db.scalars(select(Alert).where(Alert.kind.in_(kinds)).order_by(Alert.id)).all()
    return [(a.kind, a.status, a.stage) for a in rows]


PADS = ("pad_expiring", "pad_expired")


def _aed(db: Session, pad: date = PAD_EXPIRY, battery: date = date(2030, 1, 1)) -> Asset:
    aed = make_aed(db, make_site(db), pad=pad, battery=battery)
    db.commit()
    return aed


def _checked(db: Session, aed: Asset, when: datetime) -> None:
    # Keep the monthly check out of the way of the expiry stages.
    aed.last_inspection_at = when
    db.commit()


def test_pad_stages_91_90_30_7_0_minus1_each_once(runner: FlaskCliRunner, db: Session) -> None:
    aed = _aed(db)
    seen: dict[int, list[tuple[str, str, int | None]]] = {}
    for days in (91, 90, 89, 30, 29, 7, 1, 0, -1):
        _checked(db, aed, at_days_left(days))
        reconcile(runner, at_days_left(days))
        again = reconcile(runner, at_days_left(days) + timedelta(hours=1))
        assert (again["opened"], again["resolved"], again["updated"]) == (0, 0, 0)
        seen[days] = alerts(db, PADS)

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
    assert expired.detail == {"expiry": "2027-03-01"}
    assert db.get(Asset, aed.id).status == "not_ready"  # type: ignore[union-attr]

    # The volunteer replaces the pads: the next run resolves everything.
    aed = db.get(Asset, aed.id)  # type: ignore[assignment]
    aed.pad_expiry = date(2029, 3, 1)
    db.commit()
    reconcile(runner, at_days_left(-2))
    assert all(status == "resolved" for _k, status, _s in alerts(db, PADS))
    assert len(alerts(db, PADS)) == 2


def test_each_stage_is_marked_for_one_notification(runner: FlaskCliRunner,
                                                   db: Session) -> None:
    aed = _aed(db)
    _checked(db, aed, at_days_left(60))
    reconcile(runner, at_days_left(90))
    alert = db.scalars(select(Alert).where(Alert.kind == "pad_expiring")).one()
    assert alert.last_notified_at is None
    alert.last_notified_at = at_days_left(90)  # the notifier sent the 90-day stage
    db.commit()
    reconcile(runner, at_days_left(60))
    db.refresh(alert)
    assert alert.last_notified_at is not None  # same stage: nothing new to say
    reconcile(runner, at_days_left(30))
    db.refresh(alert)
    assert alert.stage == 30 and alert.last_notified_at is None
    assert alert.severity == "warning"
    reconcile(runner, at_days_left(7))
    db.refresh(alert)
    assert alert.stage == 7 and alert.severity == "critical"


def test_battery_and_pads_are_separate_alerts(runner: FlaskCliRunner, db: Session) -> None:
    aed = _aed(db, battery=PAD_EXPIRY + timedelta(days=20))
    _checked(db, aed, at_days_left(7))
    reconcile(runner, at_days_left(7))
    got = sorted(alerts(db, ("pad_expiring", "battery_expiring")))
    assert got == [("battery_expiring", "open", 30), ("pad_expiring", "open", 7)]


def test_the_monthly_check_due_then_overdue_then_done(runner: FlaskCliRunner,
                                                      db: Session) -> None:
    start = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    aed = make_aed(db, make_site(db), pad=date(2030, 1, 1), battery=date(2030, 1, 1),
                   last_inspection_at=start - timedelta(days=20))
    db.commit()
    checks = ("inspection_due", "inspection_overdue")
    reconcile(runner, start)
    assert alerts(db, checks) == []
    reconcile(runner, start + timedelta(days=4))
    reconcile(runner, start + timedelta(days=5))
    assert alerts(db, checks) == [("inspection_due", "open", None)]
    reconcile(runner, start + timedelta(days=11))
    assert alerts(db, checks) == [("inspection_due", "resolved", None),
                                  ("inspection_overdue", "open", None)]
    assert db.get(Asset, aed.id).status == "not_ready"  # type: ignore[union-attr]
    aed = db.get(Asset, aed.id)  # type: ignore[assignment]
    aed.last_inspection_at = start + timedelta(days=11, hours=1)
    db.commit()
    reconcile(runner, start + timedelta(days=11, hours=2))
    assert [s for _k, s, _ in alerts(db, checks)] == ["resolved", "resolved"]
    assert db.get(Asset, aed.id).status == "ready"  # type: ignore[union-attr]
