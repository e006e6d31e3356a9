"""Alerts about an AED carry the coverage it costs, and the rule that raised an alert
keeps that note when it updates the alert."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.apply import SubjectWants, Wanted, apply_wanted
from app.alerts.catalogue import COVERAGE_LOST
from app.alerts.lifecycle import Subject
from app.coverage.costs import mark_costs
from app.models import Alert
from tests.factories import make_aed, make_site

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
MANAGED = frozenset({"pad_expiring", "self_test_failed"})


def test_the_cost_survives_the_rule_updating_its_alert(db: Session) -> None:
    asset = make_aed(db, make_site(db))
    subject = Subject.of_asset(asset)

    def want(expiry: str) -> None:
        apply_wanted(db, "asset", [SubjectWants(subject, [
            Wanted("pad_expiring", stage=30, detail={"expiry": expiry})])], MANAGED, NOW)
        db.commit()

    want("2026-12-20")
    assert mark_costs(db, {asset.id: 0.01234}) == 1
    assert mark_costs(db, {asset.id: 0.01234}) == 0  # the same figure: nothing written
    db.commit()
    alert = db.scalar(select(Alert).where(Alert.asset_id == asset.id))
    assert alert is not None and alert.detail == {"expiry": "2026-12-20", COVERAGE_LOST: 1.23}

    want("2026-12-20")  # the rule wants what it wanted: no rewrite, the note stays
    db.expire_all()
    assert alert.detail == {"expiry": "2026-12-20", COVERAGE_LOST: 1.23}
    want("2026-12-21")  # the rule's own part changes; the note is kept
    db.expire_all()
    assert alert.detail == {"expiry": "2026-12-21", COVERAGE_LOST: 1.23}
