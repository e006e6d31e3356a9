"""The restock maths, in SQL: lots expiring within the restock lead time count as missing.

A (site, item) is short when its usable quantity (lots that outlive the lead time) is
below the par minimum; it needs `target - usable`. Every reader of "short" asks here:
the stock_low alert and the restock tasks (app/stock/alerts.py, tasks.py), the restock
form, the site page and the map's station layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

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


def usable_after(today: date, policy: AlertPolicy) -> date:
    """A lot expiring on this day or before is not counted as stock: it must be replaced
    within the restock lead time anyway."""
    return today + timedelta(days=policy.restock_lead_days)


def shortage_query(today: date, policy: AlertPolicy, site_ids: list[int] | None = None) -> Select:
    """(site_id, item_id, usable, expiring, minimum, target) for every short par level."""
    cut = usable_after(today, policy)
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
