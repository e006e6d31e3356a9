from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts import lifecycle as alerts
from app.alerts.lifecycle import AlertSpec, Subject
from app.models import Alert, Asset

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
def asset(runner: FlaskCliRunner, db: Session) -> Asset:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    found = db.scalars(select(Asset).where(Asset.external_id == "aed-yp-001")).one()
    # start from no alerts at all
    db.query(Alert).delete()
    db.commit()
    return found


def count(db: Session, **where: object) -> int:
    q = select(func.count()).select_from(Alert)
    for k, v in where.items():
        q = q.where(getattr(Alert, k) == v)
    return db.scalar(q) or 0


def test_one_active_alert_per_subject_and_kind(db: Session, asset: Asset) -> None:
    subject = Subject.of_asset(asset)
    a1, created1 = alerts.raise_alert(db, subject, AlertSpec("battery_low", "low"), NOW)
    a2, created2 = alerts.raise_alert(db, subject, AlertSpec("battery_low", "lower"), NOW)
    db.commit()
    assert (created1, created2) == (True, False)
    assert a1.id == a2.id and a2.message == "lower"
    assert count(db, kind="battery_low") == 1


def test_database_refuses_a_second_active_alert(db: Session, asset: Asset) -> None:
    subject = Subject.of_asset(asset)
    alerts.raise_alert(db, subject, AlertSpec("pad_expired", "x"), NOW)
    db.commit()
    db.add(Alert(kind="pad_expired", severity="critical", subject_type="asset",
                 subject_id=str(asset.id), dedupe_key=subject.key("pad_expired"),
                 status="open", opened_at=NOW))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_lifecycle_and_reopen_after_resolve(db: Session, asset: Asset) -> None:
    subject = Subject.of_asset(asset)
    alert, _ = alerts.raise_alert(db, subject, AlertSpec("aed_in_use", "taken"), NOW)
    alerts.acknowledge(db, alert, None, NOW + timedelta(minutes=1))
    with pytest.raises(alerts.AlertError):
        alerts.acknowledge(db, alert, None, NOW)
    # a use incident never clears itself
    assert alerts.resolve_condition(db, subject, "aed_in_use", NOW) is None
    alerts.comment(db, alert, None, "AED 已归还,电极片已更换", NOW)
    alerts.resolve(db, alert, None, NOW + timedelta(minutes=30), "restored")
    db.commit()
    assert alert.status == "resolved" and alert.acknowledged_at is not None
    again, created = alerts.raise_alert(db, subject, AlertSpec("aed_in_use", "again"), NOW)
    db.commit()
    assert created and again.id != alert.id
    assert count(db, kind="aed_in_use") == 2
    assert count(db, kind="aed_in_use", status="resolved") == 1


def test_sync_opens_and_resolves_only_managed_kinds(db: Session, asset: Asset) -> None:
    subject = Subject.of_asset(asset)
    alerts.raise_alert(db, subject, AlertSpec("pad_expiring", "scheduler's"), NOW)
    managed = frozenset({"battery_low", "self_test_failed"})
    opened, resolved = alerts.sync_alerts(
        db, subject, [AlertSpec("battery_low", "b"), AlertSpec("self_test_failed", "s")],
        managed, NOW)
    assert {a.kind for a in opened} == {"battery_low", "self_test_failed"} and resolved == []
    opened, resolved = alerts.sync_alerts(db, subject, [AlertSpec("battery_low", "b")], managed, NOW)
    db.commit()
    assert opened == [] and [a.kind for a in resolved] == ["self_test_failed"]
    assert count(db, kind="pad_expiring", status="open") == 1
    assert count(db, kind="battery_low", status="open") == 1


def test_unknown_kind_is_refused(db: Session, asset: Asset) -> None:
    with pytest.raises(alerts.AlertError):
        alerts.raise_alert(db, Subject.of_asset(asset), AlertSpec("coffee_low", "x"), NOW)
