"""Applying a wanted set: one active alert per (subject, kind), managed kinds only, stale
facts left alone, one story per cabinet opening, and the database as the last word."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts import lifecycle
from app.alerts.apply import SubjectWants, Wanted, apply_wanted
from app.alerts.catalogue import UnknownAlertKind
from app.alerts.lifecycle import Subject
from app.models import Alert, Asset
from tests.factories import make_aed, make_site

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
AED_KINDS = frozenset({"battery_low", "self_test_failed", "pad_expiring", "aed_in_use",
                       "cabinet_opened", "door_open_too_long"})
CHAIN = ("aed_in_use", "door_open_too_long", "cabinet_opened")


@pytest.fixture
def asset(db: Session) -> Asset:
    aed = make_aed(db, make_site(db))
    db.commit()
    return aed


def apply(db: Session, asset: Asset, *wanted: Wanted, unjudged: frozenset[str] = frozenset(),
          managed: frozenset[str] = AED_KINDS, at: datetime = NOW) -> tuple[set[str], set[str]]:
    out = apply_wanted(db, "asset", [SubjectWants(Subject.of_asset(asset), wanted, unjudged)],
                       managed, at, chain=CHAIN)
    db.commit()
    return {a.kind for a in out.opened}, {a.kind for a in out.resolved}


def active(db: Session) -> dict[str, Alert]:
    db.expire_all()
    return {a.kind: a for a in db.scalars(select(Alert).where(Alert.status != "resolved"))}


def test_one_active_alert_per_subject_and_kind(db: Session, asset: Asset) -> None:
    assert apply(db, asset, Wanted("battery_low", detail={"battery_pct": 15})) == (
        {"battery_low"}, set())
    assert apply(db, asset, Wanted("battery_low", detail={"battery_pct": 12})) == (set(), set())
    alerts = active(db)
    assert list(alerts) == ["battery_low"] and alerts["battery_low"].detail == {
        "battery_pct": 12}
    assert db.scalar(select(func.count()).select_from(Alert)) == 1


def test_the_database_refuses_a_second_active_alert(db: Session, asset: Asset) -> None:
    apply(db, asset, Wanted("pad_expiring", stage=30))
    subject = Subject.of_asset(asset)
    db.add(Alert(kind="pad_expiring", severity="warning", subject_type="asset",
                 subject_id=str(asset.id), dedupe_key=subject.key("pad_expiring"),
                 status="open", opened_at=NOW))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_a_parallel_writer_that_opened_first_wins(db: Session, asset: Asset) -> None:
    # Another process (an ingest worker) opened the alert after this one read the table.
    subject = Subject.of_asset(asset)
    db.add(Alert(kind="self_test_failed", severity="critical", subject_type="asset",
                 subject_id=str(asset.id), dedupe_key=subject.key("self_test_failed"),
                 asset_id=asset.id, status="open", opened_at=NOW, auto_resolve=True))
    db.flush()
    out = apply_wanted(db, "asset", [SubjectWants(subject, [Wanted("battery_low")])],
                       frozenset({"battery_low"}), NOW)
    db.commit()
    assert [a.kind for a in out.opened] == ["battery_low"]
    assert set(active(db)) == {"self_test_failed", "battery_low"}


def test_cleared_conditions_resolve_and_a_new_fault_opens_a_new_alert(
    db: Session, asset: Asset
) -> None:
    apply(db, asset, Wanted("self_test_failed"))
    assert apply(db, asset) == (set(), {"self_test_failed"})
    resolved = db.scalars(select(Alert)).one()
    assert resolved.resolution == "cleared" and resolved.resolved_at == NOW
    assert apply(db, asset, Wanted("self_test_failed"), at=NOW + timedelta(hours=1)) == (
        {"self_test_failed"}, set())
    assert db.scalar(select(func.count()).select_from(Alert)) == 2


def test_only_managed_kinds_are_touched(db: Session, asset: Asset) -> None:
    apply(db, asset, Wanted("pad_expiring", stage=90))
    opened, resolved = apply(db, asset, Wanted("battery_low"),
                             managed=frozenset({"battery_low", "self_test_failed"}))
    assert (opened, resolved) == ({"battery_low"}, set())
    assert set(active(db)) == {"pad_expiring", "battery_low"}


def test_stale_facts_leave_their_alerts_as_they_are(db: Session, asset: Asset) -> None:
    apply(db, asset, Wanted("self_test_failed"))
    assert apply(db, asset, unjudged=frozenset({"self_test_failed"})) == (set(), set())
    assert set(active(db)) == {"self_test_failed"}


def test_alerts_a_person_closes_are_never_closed_by_a_reading(db: Session,
                                                              asset: Asset) -> None:
    apply(db, asset, Wanted("aed_in_use"))
    assert apply(db, asset) == (set(), set())
    alert = active(db)["aed_in_use"]
    lifecycle.acknowledge(db, alert, None, NOW + timedelta(minutes=1))
    with pytest.raises(lifecycle.AlertError):
        lifecycle.acknowledge(db, alert, None, NOW)
    lifecycle.resolve(db, alert, None, NOW + timedelta(minutes=30), "restored")
    db.commit()
    assert active(db) == {}


def test_one_opening_one_story(db: Session, asset: Asset) -> None:
    assert apply(db, asset, Wanted("cabinet_opened")) == ({"cabinet_opened"}, set())
    # The AED is taken: the opening becomes the use incident, and only that stays open.
    assert apply(db, asset, Wanted("aed_in_use")) == ({"aed_in_use"}, {"cabinet_opened"})
    superseded = db.scalars(select(Alert).where(Alert.kind == "cabinet_opened")).one()
    assert superseded.resolution == "superseded by aed_in_use"
    assert set(active(db)) == {"aed_in_use"}


def test_a_closer_stage_is_news_again(db: Session, asset: Asset) -> None:
    apply(db, asset, Wanted("pad_expiring", stage=30))
    alert = active(db)["pad_expiring"]
    alert.last_notified_at = NOW
    db.commit()
    apply(db, asset, Wanted("pad_expiring", "critical", stage=7))
    alert = active(db)["pad_expiring"]
    assert (alert.stage, alert.severity, alert.last_notified_at) == (7, "critical", None)


def test_an_unknown_kind_is_refused(db: Session, asset: Asset) -> None:
    with pytest.raises(UnknownAlertKind):
        apply(db, asset, Wanted("coffee_low"), managed=frozenset({"coffee_low"}))
