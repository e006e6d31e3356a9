"""The stock rules as tables, on SQLite and PostgreSQL: the shortage maths, the station
alerts (stock_low, stock_expiring, stock_expired) for every station and for one, the
restock tasks, and what the restock operation accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.audit import Actor
from app.models import Alert, AuditLog, RestockTask, StockLot
from app.stock.jobs import check_stations, run_restock, run_stock_expiry
from app.stock.restock import Delivery, RestockInvalid, restock_station
from app.stock.shortage import restock_list
from tests.stock.factories import (
    TZ,
    days,
    lot,
    make_item,
    make_station,
    make_team,
    par,
    restockable_station,
)

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 29)  # NOW in Shanghai
POLICY = AlertPolicy(restock_lead_days=30, stock_lead_days=(90, 30, 7), critical_within_days=7)
ACTOR = Actor(None, "test")


def stock_alerts(db: Session, status: str = "open") -> list[tuple[int | None, str, int | None,
                                                                  str, dict | None, str | None]]:
    rows = db.scalars(select(Alert).where(Alert.kind.like("stock_%"), Alert.status == status)
                      .order_by(Alert.site_id, Alert.kind)).all()
    return [(a.site_id, a.kind, a.stage, a.severity, a.detail, a.message) for a in rows]


# --- the shortage maths ------------------------------------------------------------

@pytest.mark.parametrize(("lots", "minimum", "target", "expected"), [
    # (quantity, days to expiry or None) → (usable, expiring, needed) or None (not short)
    ([(8, 400), (6, 30)], 10, 20, (8, 6, 12)),  # a lot inside the lead time is missing
    ([(5, 31)], 5, 10, None),  # just outside the lead time: usable
    ([(9, None)], 2, 4, None),  # never expires
    ([(3, -2)], 1, 2, (0, 3, 2)),  # expired counts as missing too
    ([], 1, 3, (0, 0, 3)),  # nothing at all
    ([(0, 400)], 1, 3, (0, 0, 3)),  # an emptied lot holds nothing
])
def test_shortage_counts_lots_expiring_within_the_lead_time_as_missing(
    db: Session, lots: list[tuple[int, int | None]], minimum: int, target: int,
    expected: tuple[int, int, int] | None,
) -> None:
    site = make_station(db)
    item = make_item(db, "gauze", "无菌纱布", "Sterile gauze")
    par(db, site, item, minimum, target)
    for quantity, left in lots:
        lot(db, site, item, quantity, None if left is None else days(left, TODAY))
    db.commit()
    rows = [(r.usable, r.expiring, r.needed) for r in restock_list(db, TODAY, POLICY)]
    assert rows == ([expected] if expected else [])


# --- stock expiry per station ---------------------------------------------------------

@pytest.mark.parametrize(("lots", "expected"), [
    # (quantity, days to expiry) → {kind: (stage, severity, lots, earliest days)}
    ([(5, 120), (5, None)], {}),
    ([(5, 90)], {"stock_expiring": (90, "warning", 1, 90)}),
    ([(5, 60), (2, 30)], {"stock_expiring": (30, "warning", 2, 30)}),
    ([(5, 7)], {"stock_expiring": (7, "critical", 1, 7)}),
    ([(5, 0)], {"stock_expired": (0, "critical", 1, 0)}),  # today: not to be used today
    ([(5, -3), (1, -1), (2, 20)], {"stock_expired": (0, "critical", 2, -3),
                                   "stock_expiring": (30, "warning", 1, 20)}),
    ([(0, -3)], {}),  # used up: nothing left to expire
])
def test_stock_expiry_is_staged_per_station_with_structured_detail(
    db: Session, lots: list[tuple[int, int | None]],
    expected: dict[str, tuple[int, str, int, int]],
) -> None:
    site = make_station(db)
    item = make_item(db, "plaster", "创可贴", "Plasters")
    for quantity, left in lots:
        lot(db, site, item, quantity, None if left is None else days(left, TODAY))
    run_stock_expiry(db, NOW, TZ, POLICY)
    db.commit()
    want = [(site.id, kind, stage, severity,
             {"lots": n, "earliest": days(left, TODAY).isoformat()}, "")
            for kind, (stage, severity, n, left) in sorted(expected.items())]
    assert stock_alerts(db) == want


def test_stock_expiry_runs_for_every_station_or_for_one(db: Session) -> None:
    a, b = make_station(db, "st-a"), make_station(db, "st-b")
    item = make_item(db, "plaster", "创可贴", "Plasters")
    lot_a = lot(db, a, item, 5, days(-1, TODAY))
    lot_b = lot(db, b, item, 5, days(-1, TODAY))
    summary = run_stock_expiry(db, NOW, TZ, POLICY)
    db.commit()
    assert summary["stock_opened"] == 2
    assert [row[:2] for row in stock_alerts(db)] == [(a.id, "stock_expired"),
                                                     (b.id, "stock_expired")]
    # Both lots go, but only station a is re-checked: b's alert waits for the job.
    db.delete(lot_a)
    db.delete(lot_b)
    run_stock_expiry(db, NOW, TZ, POLICY, site_ids=[a.id])
    db.commit()
    assert [row[:2] for row in stock_alerts(db)] == [(b.id, "stock_expired")]
    run_stock_expiry(db, NOW, TZ, POLICY)
    db.commit()
    assert stock_alerts(db) == []


def test_a_closer_stage_is_news_and_detail_follows_the_lots(db: Session) -> None:
    site = make_station(db)
    item = make_item(db, "plaster", "创可贴", "Plasters")
    lot(db, site, item, 5, days(60, TODAY))
    run_stock_expiry(db, NOW, TZ, POLICY)
    alert = db.scalars(select(Alert).where(Alert.kind == "stock_expiring")).one()
    alert.last_notified_at = NOW
    db.commit()
    later = NOW + timedelta(days=31)  # 29 days left: the 30-day stage
    summary = run_stock_expiry(db, later, TZ, POLICY)
    db.commit()
    db.refresh(alert)
    assert summary["stock_staged"] == 1
    assert (alert.stage, alert.last_notified_at, alert.detail) == (
        30, None, {"lots": 1, "earliest": days(60, TODAY).isoformat()})
    # Another lot joins within the same stage: the count changes, no news.
    alert.last_notified_at = later
    lot(db, site, item, 2, days(70, TODAY))
    run_stock_expiry(db, later, TZ, POLICY)
    db.commit()
    db.refresh(alert)
    assert (alert.status, alert.stage, alert.last_notified_at, alert.detail["lots"]) == (
        "open", 30, later, 2)


# --- stock_low and restock tasks --------------------------------------------------------

def test_stock_low_and_one_task_per_short_station_for_its_team(db: Session) -> None:
    team = make_team(db)
    short, fine = make_station(db, "st-short", team), make_station(db, "st-fine", team)
    gauze = make_item(db, "gauze", "无菌纱布", "Sterile gauze")
    pins = make_item(db, "pins", "安全别针", "Safety pins", shelf_life_days=None)
    par(db, short, gauze, 10, 20)
    par(db, short, pins, 6, 12)
    par(db, fine, gauze, 1, 2)
    lot(db, short, gauze, 4, days(5, TODAY))
    lot(db, fine, gauze, 2, None)
    db.commit()
    for _ in range(2):  # idempotent
        run_restock(db, NOW, TZ, POLICY)
        db.commit()
    task = db.scalars(select(RestockTask)).one()
    assert (task.site_id, task.team_id, task.status) == (short.id, team.id, "open")
    assert sorted((ln.item_id, ln.usable, ln.expiring, ln.needed) for ln in task.lines) == [
        (gauze.id, 0, 4, 20), (pins.id, 0, 0, 12)]
    assert stock_alerts(db) == [(short.id, "stock_low", None, "warning", {"items": 2}, "")]


def test_task_cancelled_when_stock_arrives_another_way(db: Session) -> None:
    site = make_station(db)
    gauze = make_item(db, "gauze", "无菌纱布", "Sterile gauze")
    par(db, site, gauze, minimum=3, target=5)
    run_restock(db, NOW, TZ, POLICY)
    db.commit()
    lot(db, site, gauze, 5, None)
    summary = run_restock(db, NOW + timedelta(hours=1), TZ, POLICY)
    db.commit()
    assert summary["tasks_cancelled"] == 1 and summary["stock_low_resolved"] == 1
    assert db.scalars(select(RestockTask)).one().status == "cancelled"


# --- the restock operation ----------------------------------------------------------

def test_restock_closes_the_task_and_leaves_nothing_open(db: Session) -> None:
    station = restockable_station(db, TODAY)
    check_stations(db, NOW, TZ, POLICY, [station.site.id])
    db.commit()
    assert {row[1] for row in stock_alerts(db)} == {"stock_low", "stock_expired",
                                                    "stock_expiring"}
    result = restock_station(
        db, station.site, ACTOR, [Delivery("gauze", 16, days(1000, TODAY), "G-2")],
        [station.expired_lot.id, station.expiring_lot.id], NOW, TZ, POLICY)
    db.commit()
    assert stock_alerts(db) == []
    assert result.task is not None and result.task.status == "done"
    assert [(ln.item_id, ln.needed, ln.delivered) for ln in result.task.lines] == [
        (station.items["gauze"].id, 16, 16)]
    assert db.scalars(select(RestockTask).where(RestockTask.status == "open")).all() == []
    assert db.get(StockLot, station.expired_lot.id) is None
    assert restock_list(db, TODAY, POLICY) == []
    audit = db.scalars(select(AuditLog)).one()
    assert (audit.action, audit.entity_type, audit.entity_id) == ("restock", "site",
                                                                 str(station.site.id))
    assert [r["lot_code"] for r in audit.before["lots"]] == ["I-1", "S-1"]
    assert audit.after["task_id"] == result.task.id


def test_a_partial_restock_leaves_a_new_task_for_the_rest(db: Session) -> None:
    station = restockable_station(db, TODAY)
    check_stations(db, NOW, TZ, POLICY, [station.site.id])
    db.commit()
    first = db.scalars(select(RestockTask)).one()
    restock_station(db, station.site, ACTOR, [Delivery("gauze", 2, days(1000, TODAY))], [],
                    NOW, TZ, POLICY)
    db.commit()
    tasks = db.scalars(select(RestockTask).order_by(RestockTask.id)).all()
    assert [(t.id, t.status) for t in tasks] == [(first.id, "done"), (tasks[1].id, "open")]
    assert [(ln.needed, ln.delivered) for ln in tasks[1].lines] == [(14, None)]
    assert [row[1] for row in stock_alerts(db)] == ["stock_expired", "stock_expiring",
                                                    "stock_low"]


def test_a_restock_nobody_asked_for_is_still_recorded(db: Session) -> None:
    station = restockable_station(db, TODAY)
    result = restock_station(db, station.site, ACTOR, [Delivery("gloves", 5, days(900, TODAY))],
                             [], NOW, TZ, POLICY)
    db.commit()
    assert result.task is None
    audit = db.scalars(select(AuditLog)).one()
    assert audit.after["task_id"] is None and audit.after["lots"][0]["quantity"] == 5


@pytest.mark.parametrize(("deliveries", "removed", "expected"), [
    ([("gauze", 0, 400, None)], [], {(("deliveries", 0, "quantity"), "quantity_not_positive")}),
    ([("gauze", -4, 400, None)], [], {(("deliveries", 0, "quantity"), "quantity_not_positive")}),
    ([("gauze", 100_001, 400, None)], [],
     {(("deliveries", 0, "quantity"), "quantity_too_large")}),
    ([("bandage", 3, 400, None)], [], {(("deliveries", 0, "item"), "unknown_item")}),
    ([("", 3, 400, None)], [], {(("deliveries", 0, "item"), "item_required")}),
    ([("gauze", 3, -1, None)], [], {(("deliveries", 0, "expiry"), "expiry_passed")}),
    ([("gauze", 3, 0, None)], [], {(("deliveries", 0, "expiry"), "expiry_passed")}),
    ([("gauze", 3, None, None)], [], {(("deliveries", 0, "expiry"), "expiry_required")}),
    ([("pins", 3, None, "x" * 65)], [], {(("deliveries", 0, "lot_code"), "lot_code_too_long")}),
    ([], ["other"], {(("removed_lot_ids", 0), "lot_not_here")}),
    ([], ["gone"], {(("removed_lot_ids", 0), "lot_not_here")}),
    ([], [], {((), "nothing_entered")}),
    # Every problem at once, each at its place.
    ([("gauze", 3, 400, None), ("iodine", 0, -5, None)], ["other"], {
        (("deliveries", 1, "quantity"), "quantity_not_positive"),
        (("deliveries", 1, "expiry"), "expiry_passed"),
        (("removed_lot_ids", 0), "lot_not_here")}),
])
def test_restock_refuses_bad_input_per_field_and_writes_nothing(
    db: Session, deliveries: list[tuple[str, int, int | None, str | None]],
    removed: list[str], expected: set[tuple[tuple[str | int, ...], str]],
) -> None:
    station = restockable_station(db, TODAY)
    other = restockable_station(db, TODAY, "st-2", station.team, station.items)
    gone = lot(db, station.site, station.items["gloves"], 0, days(10, TODAY))
    db.commit()
    ids = {"other": other.expired_lot.id, "gone": gone.id}
    with pytest.raises(RestockInvalid) as caught:
        restock_station(
            db, station.site, ACTOR,
            [Delivery(item, qty, None if left is None else days(left, TODAY), code)
             for item, qty, left, code in deliveries],
            [ids[name] for name in removed], NOW, TZ, POLICY)
    assert {(e.loc, e.code) for e in caught.value.errors} == expected
    assert all(e.text for e in caught.value.errors)
    db.rollback()
    assert db.scalars(select(AuditLog)).all() == []
    assert db.get(StockLot, other.expired_lot.id) is not None
