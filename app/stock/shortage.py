"""Restock list from par levels, in SQL: lots expiring within the lead time count as missing.

A (site, item) is short when its usable quantity (lots that outlive the lead time) is
below the par minimum; it needs `target - usable`. Stations with shortages get one
`stock_low` alert and one open restock task (restock_tasks.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause, Select

from app.alerts.bulk_sync import SyncCounts, sync_desired
from app.alerts.policy import AlertPolicy
from app.models import ParLevel, StockLot


@dataclass(frozen=True)
class Shortage:
    site_id: int
    item_id: int
    usable: int
    expiring: int
    minimum: int
    target: int

    @property
    def needed(self) -> int:
        return self.target - self.usable


def shortage_query(today: date, policy: AlertPolicy, site_ids: list[int] | None = None) -> Select:
    """(site_id, item_id, usable, expiring, minimum, target) for every short par level."""
    cut = today + timedelta(days=policy.restock_lead_days)
    lot_sums = select(
        StockLot.site_id,
        StockLot.item_id,
        func.sum(case((or_(StockLot.expiry.is_(None), StockLot.expiry > cut),
                       StockLot.quantity), else_=0)).label("usable"),
        func.sum(case((StockLot.expiry <= cut, StockLot.quantity), else_=0)).label("expiring"),
    ).where(StockLot.quantity > 0)
    if site_ids is not None:
        lot_sums = lot_sums.where(StockLot.site_id.in_(site_ids))
    sums = lot_sums.group_by(StockLot.site_id, StockLot.item_id).subquery("lot_sums")
    usable = func.coalesce(sums.c.usable, 0)
    query = (
        select(
            ParLevel.site_id.label("site_id"),
            ParLevel.item_id.label("item_id"),
            cast(usable, Integer).label("usable"),
            cast(func.coalesce(sums.c.expiring, 0), Integer).label("expiring"),
            ParLevel.minimum.label("minimum"),
            ParLevel.target.label("target"),
        )
        .select_from(ParLevel)
        .outerjoin(sums, and_(sums.c.site_id == ParLevel.site_id,
                              sums.c.item_id == ParLevel.item_id))
        .where(usable < ParLevel.minimum)
    )
    if site_ids is not None:
        query = query.where(ParLevel.site_id.in_(site_ids))
    return query


def restock_list(session: Session, today: date, policy: AlertPolicy,
                 site_ids: list[int] | None = None) -> list[Shortage]:
    rows = session.execute(shortage_query(today, policy, site_ids).order_by("site_id", "item_id"))
    return [Shortage(*row) for row in rows]


SHORTAGE = Table(
    "tmp_restock_shortage", MetaData(),
    Column("site_id", Integer), Column("item_id", Integer), Column("usable", Integer),
    Column("expiring", Integer), Column("minimum", Integer), Column("target", Integer),
    prefixes=["TEMPORARY"],
)


@contextmanager
def materialized_shortage(session: Session, today: date, policy: AlertPolicy,
                          site_ids: list[int] | None = None) -> Iterator[Table]:
    """The shortage aggregate, computed once into a temporary table for this transaction:
    alerts and tasks both read it, and the aggregate is the expensive part (every lot)."""
    conn = session.connection()
    SHORTAGE.drop(conn, checkfirst=True)
    SHORTAGE.create(conn)
    try:
        conn.execute(insert(SHORTAGE).from_select(
            ["site_id", "item_id", "usable", "expiring", "minimum", "target"],
            shortage_query(today, policy, site_ids)))
        yield SHORTAGE
    finally:
        SHORTAGE.drop(conn)


def sync_stock_low_alerts(session: Session, short: FromClause, now: datetime,
                          site_ids: list[int] | None = None) -> SyncCounts:
    per_site = (
        select(short.c.site_id, func.count().label("n_items"))
        .group_by(short.c.site_id)
        .subquery("per_site")
    )
    items = cast(per_site.c.n_items, String)
    desired = select(
        per_site.c.site_id.label("match_id"),
        literal(None, Integer).label("asset_id"),
        per_site.c.site_id.label("site_id"),
        literal("stock_low").label("kind"),
        literal(None, Integer).label("stage"),
        literal("warning").label("severity"),
        (literal("急救站有 ") + items + " 种物资低于最低库存,需要补货 · "
         + items + " items below minimum, restock needed").label("message"),
    )
    return sync_desired(session, desired, "site", ("stock_low",), now, scope_ids=site_ids)


def run_restock(session: Session, now: datetime, tz: ZoneInfo, policy: AlertPolicy,
                site_ids: list[int] | None = None) -> dict[str, int]:
    """The scheduled job: stock_low alerts and the open restock tasks, per station."""
    from app.stock.tasks import sync_restock_tasks

    today = now.astimezone(tz).date()
    with materialized_shortage(session, today, policy, site_ids) as short:
        counts = sync_stock_low_alerts(session, short, now, site_ids)
        tasks = sync_restock_tasks(session, short, now, site_ids)
    return {"stock_low_opened": counts.opened, "stock_low_resolved": counts.resolved, **tasks}
