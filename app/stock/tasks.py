"""Restock tasks: one open task per short station, assigned to the station's team.

Generation is set-based: the restock check refreshes every open task's lines from the
shortage rows it is given (app/stock/shortage.py), opens a task for a newly short
station and cancels one whose shortage went away some other way. A restock
(app/stock/restock.py) closes the open task with what was delivered per line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from app.models import RestockTask, RestockTaskLine, Site
from app.sql_rows import affected


def sync_restock_tasks(session: Session, short: FromClause, now: datetime,
                       site_ids: list[int] | None = None) -> dict[str, int]:
    """Refresh open tasks from `short` (rows of shortage.shortage_query)."""
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


def open_task(session: Session, site_id: int) -> RestockTask | None:
    return session.scalar(
        select(RestockTask).where(RestockTask.site_id == site_id, RestockTask.status == "open")
    )


def close_task(session: Session, site_id: int, delivered: Mapping[int, int],
               user_id: int | None, now: datetime) -> RestockTask | None:
    """Mark the station's open task done with what was delivered per line (item id →
    quantity). Two volunteers saving at once: the conditional UPDATE lets only one of
    them close it; the other's restock is recorded without a task."""
    task = open_task(session, site_id)
    if task is None:
        return None
    claimed = affected(session.execute(
        update(RestockTask)
        .where(RestockTask.id == task.id, RestockTask.status == "open")
        .values(status="done", completed_at=now, completed_by_id=user_id, updated_at=now)
        .execution_options(synchronize_session=False)
    ))
    if not claimed:
        return None
    session.refresh(task)
    for line in task.lines:
        line.delivered = delivered.get(line.item_id, 0)
    return task
