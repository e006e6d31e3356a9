"""What the scheduler runs for stations, and the same checks for a few stations at once.

`run_restock` (the hourly restock job): stock_low alerts and the open restock tasks.
`run_stock_expiry` (part of the expiry scan): stock_expiring / stock_expired alerts.
`check_stations` runs both for the stations a writer just touched (a restock), in the
writer's transaction, so their alerts follow the stock at once instead of within the hour.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.stock.alerts import sync_stock_low
from app.stock.expiry import sync_stock_expiry
from app.stock.shortage import materialized_shortage
from app.stock.tasks import sync_restock_tasks


def run_restock(session: Session, now: datetime, tz: ZoneInfo, policy: AlertPolicy,
                site_ids: list[int] | None = None) -> dict[str, int]:
    # The checks are SQL on the session's connection, which does not autoflush: the
    # caller's pending changes (lots added or taken out) must be in the database first.
    session.flush()
    today = now.astimezone(tz).date()
    with materialized_shortage(session, today, policy, site_ids) as short:
        counts = sync_stock_low(session, short, now, site_ids)
        tasks = sync_restock_tasks(session, short, now, site_ids)
    return {"stock_low_opened": len(counts.opened), "stock_low_resolved": len(counts.resolved),
            **tasks}


def run_stock_expiry(session: Session, now: datetime, tz: ZoneInfo, policy: AlertPolicy,
                     site_ids: list[int] | None = None) -> dict[str, int]:
    session.flush()  # as in run_restock
    counts = sync_stock_expiry(session, now.astimezone(tz).date(), now, policy, site_ids)
    return {"stock_opened": len(counts.opened), "stock_staged": len(counts.updated),
            "stock_resolved": len(counts.resolved)}


def check_stations(session: Session, now: datetime, tz: ZoneInfo, policy: AlertPolicy,
                   site_ids: list[int]) -> dict[str, int]:
    return {**run_restock(session, now, tz, policy, site_ids),
            **run_stock_expiry(session, now, tz, policy, site_ids)}
