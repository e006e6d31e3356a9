"""Restock list from par levels (expiring lots count as missing), tasks and completion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.models import Alert, RestockTask, StockLot
from app.stock.shortage import restock_list, run_restock
from app.stock.tasks import Delivery, RestockError, complete_task
from tests.scheduler.factories import make_item, make_site, make_team, par, stock

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 29)
POLICY = AlertPolicy(restock_lead_days=30)


def test_expiring_lots_count_as_missing(db: Session) -> None:
    site = make_site(db)
    gauze, iodine, blanket = (make_item(db), make_item(db, "iodine", "碘伏棉棒"),
                              make_item(db, "blanket", "急救毯"))
    par(db, site, gauze, minimum=10, target=20)
    par(db, site, iodine, minimum=5, target=10)
    par(db, site, blanket, minimum=2, target=4)
    stock(db, site, gauze, 8, TODAY + timedelta(days=400))
    stock(db, site, gauze, 6, TODAY + timedelta(days=30))  # inside the lead time: missing
    stock(db, site, iodine, 5, TODAY + timedelta(days=31))  # just outside: usable
    stock(db, site, blanket, 9, None)  # never expires
    db.commit()
    rows = restock_list(db, TODAY, POLICY)
    assert [(r.item_id, r.usable, r.expiring, r.needed) for r in rows] == [(gauze.id, 8, 6, 12)]


def test_tasks_per_site_for_its_team_and_completion_resolves(db: Session) -> None:
    team = make_team(db)
    site = make_site(db, team=team)
    ok_site = make_site(db, n=2, team=team)
    gauze = make_item(db)
    par(db, site, gauze, minimum=10, target=20)
    par(db, ok_site, gauze, minimum=1, target=2)
    old = stock(db, site, gauze, 4, TODAY + timedelta(days=5))
    stock(db, ok_site, gauze, 2, None)
    db.commit()

    for _ in range(2):  # idempotent
        run_restock(db, NOW, TZ, POLICY)
        db.commit()
    task = db.scalars(select(RestockTask)).one()
    assert (task.site_id, task.team_id, task.status) == (site.id, team.id, "open")
    assert [(ln.item_id, ln.usable, ln.expiring, ln.needed) for ln in task.lines] == [
        (gauze.id, 0, 4, 20)]
    alert = db.scalars(select(Alert).where(Alert.kind == "stock_low")).one()
    assert alert.site_id == site.id and alert.status == "open"

    summary = complete_task(
        db, task, None, [Delivery(gauze.id, 20, date(2029, 6, 30), "LOT-2029")],
        NOW + timedelta(hours=1), TZ, POLICY, removed_lot_ids=[old.id],
    )
    db.commit()
    assert summary["stock_low_resolved"] == 1
    db.refresh(alert)
    db.refresh(task)
    assert alert.status == "resolved" and task.status == "done"
    assert task.lines[0].delivered == 20
    lots = db.scalars(select(StockLot).where(StockLot.site_id == site.id,
                                             StockLot.quantity > 0)).all()
    assert [(lot.quantity, lot.expiry) for lot in lots] == [(20, date(2029, 6, 30))]
    assert restock_list(db, TODAY, POLICY) == []
    try:
        complete_task(db, task, None, [], NOW, TZ, POLICY)
    except RestockError:
        pass
    else:
        raise AssertionError("a done task cannot be completed again")


def test_task_cancelled_when_stock_arrives_another_way(db: Session) -> None:
    site = make_site(db)
    gauze = make_item(db)
    par(db, site, gauze, minimum=3, target=5)
    db.commit()
    run_restock(db, NOW, TZ, POLICY)
    db.commit()
    stock(db, site, gauze, 5, None)
    db.commit()
    summary = run_restock(db, NOW + timedelta(hours=1), TZ, POLICY)
    db.commit()
    assert summary["tasks_cancelled"] == 1 and summary["stock_low_resolved"] == 1
    assert db.scalars(select(RestockTask)).one().status == "cancelled"
