"""Restock tasks: one open task per short station, assigned to the station's team.

Generation is set-based (the restock job refreshes every open task's lines from the
shortage query). Completing a task records what was delivered as new stock lots, then
re-runs the restock and stock-expiry checks for that station, which resolves its alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from app.alerts.policy import AlertPolicy
from app.models import AuditLog, RestockTask, RestockTaskLine, Site, StockLot
from app.sql_rows import affected
from app.stock.shortage import run_restock


class RestockError(ValueError):
    """A task operation that is not allowed (e.g. completing a task twice)."""


@dataclass(frozen=True)
class Delivery:
    item_id: int
    quantity: int
    expiry: date | None
    lot_code: str | None = None


def sync_restock_tasks(session: Session, short: FromClause, now: datetime,
                       site_ids: list[int] | None = None) -> dict[str, int]:
    """Refresh open tasks from `short` (rows of restock.shortage_query)."""
    has_open = exists().where(RestockTask.site_id == Site.id, RestockTask.status == "open")
    new_sites = (
        select(Site.id, Site.team_id, literal("open"), literal(now, RestockTask.created_at.type),
               literal(now, RestockTask.updated_at.type))
        .where(Site.id.in_(select(short.c.site_id)), ~has_open)
    )
    created = affected(session.connection().execution_options(preserve_rowcount=True).execute(
        insert(RestockTask).from_select(
            ["site_id", "team_id", "status", "created_at", "updated_at"], new_sites
        )
    ))
    open_ids = select(RestockTask.id).where(RestockTask.status == "open")
    if site_ids is not None:
        open_ids = open_ids.where(RestockTask.site_id.in_(site_ids))
    session.execute(delete(RestockTaskLine).where(RestockTaskLine.task_id.in_(open_ids)))
    lines = affected(session.connection().execution_options(preserve_rowcount=True).execute(
        insert(RestockTaskLine).from_select(
            ["task_id", "item_id", "usable", "expiring", "needed"],
            select(RestockTask.id, short.c.item_id, short.c.usable, short.c.expiring,
                   short.c.target - short.c.usable)
            .join(RestockTask, (RestockTask.site_id == short.c.site_id)
                  & (RestockTask.status == "open")),
        )
    ))
    # Stock topped up some other way: the task has nothing left to do.
    dropped = affected(session.execute(
        update(RestockTask)
        .where(RestockTask.id.in_(open_ids),
               ~exists().where(RestockTaskLine.task_id == RestockTask.id))
        .values(status="cancelled", updated_at=now)
        .execution_options(synchronize_session=False)
    ))
    return {"tasks_created": max(created, 0), "task_lines": max(lines, 0),
            "tasks_cancelled": max(dropped, 0)}


def complete_task(
    session: Session, task: RestockTask, user_id: int | None, deliveries: list[Delivery],
    now: datetime, tz: ZoneInfo, policy: AlertPolicy, removed_lot_ids: list[int] | None = None,
) -> dict[str, int]:
    """Record a finished restock: new lots in, expired lots out, alerts re-checked."""
    if task.status != "open":
        raise RestockError(f"restock task {task.id} is {task.status}, not open")
    for d in deliveries:
        if d.quantity <= 0:
            raise RestockError("delivered quantities must be above 0")
        session.add(StockLot(site_id=task.site_id, item_id=d.item_id, quantity=d.quantity,
                             expiry=d.expiry, lot_code=d.lot_code, received_at=now))
    if removed_lot_ids:
        session.execute(
            update(StockLot)
            .where(StockLot.id.in_(removed_lot_ids), StockLot.site_id == task.site_id)
            .values(quantity=0)
            .execution_options(synchronize_session=False)
        )
    delivered: dict[int, int] = {}
    for d in deliveries:
        delivered[d.item_id] = delivered.get(d.item_id, 0) + d.quantity
    for line in task.lines:
        line.delivered = delivered.get(line.item_id, 0)
    task.status = "done"
    task.completed_at = now
    task.completed_by_id = user_id
    task.updated_at = now
    session.add(AuditLog(at=now, user_id=user_id, actor=f"user:{user_id}", action="restock_done",
                         entity_type="restock_task", entity_id=str(task.id),
                         after={"delivered": {str(k): v for k, v in delivered.items()}}))
    session.flush()
    from app.aeds.expiry_scan import scan_stock_expiry

    summary = run_restock(session, now, tz, policy, site_ids=[task.site_id])
    stock = scan_stock_expiry(session, now.astimezone(tz).date(), now, policy)
    summary["stock_expiring_resolved"] = stock.resolved
    return summary
