"""What a station holds and what it needs, for the people who restock it.

The site page lists every item with its quantity against par; the restock form adds
the open task's lines and the lots to take out (expired, or expiring within the restock
lead time). "Short" is always the shortage maths' verdict (app/stock/shortage.py), so
the page, the form, the alerts and the map never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.alerts.stages import EXPIRED, expiry_stage
from app.models import ParLevel, RestockTask, StockLot, SupplyItem
from app.stock.shortage import Shortage, restock_list, usable_after
from app.stock.tasks import open_task


@dataclass(frozen=True)
class ItemStock:
    item: SupplyItem
    #: Everything in the kit, expiring lots included.
    quantity: int
    soonest_expiry: date | None
    minimum: int | None
    target: int | None
    shortage: Shortage | None
    #: What the open restock task asks for, when it lists this item.
    task_needed: int | None = None

    @property
    def short(self) -> bool:
        return self.shortage is not None

    @property
    def needed(self) -> int:
        return self.shortage.needed if self.shortage else 0


@dataclass(frozen=True)
class LotToCheck:
    lot: StockLot
    item: SupplyItem
    expired: bool


@dataclass(frozen=True)
class StationNeeds:
    items: list[ItemStock]
    task: RestockTask | None
    lots: list[LotToCheck]

    @property
    def needed(self) -> list[ItemStock]:
        """Items short now or on the open task's list."""
        return [i for i in self.items if i.short or i.task_needed is not None]


def station_stock(session: Session, site_id: int, today: date, policy: AlertPolicy,
                  task: RestockTask | None = None) -> list[ItemStock]:
    """Every item the station holds or keeps a par level for, by item code."""
    held = {item_id: (int(qty or 0), soonest) for item_id, qty, soonest in session.execute(
        select(StockLot.item_id, func.sum(StockLot.quantity), func.min(StockLot.expiry))
        .where(StockLot.site_id == site_id, StockLot.quantity > 0)
        .group_by(StockLot.item_id)
    )}
    pars = {p.item_id: p for p in session.scalars(
        select(ParLevel).where(ParLevel.site_id == site_id))}
    short = {s.item_id: s for s in restock_list(session, today, policy, [site_id])}
    asked = {line.item_id: line.needed for line in task.lines} if task else {}
    ids = set(held) | set(pars) | set(asked)
    items = session.scalars(
        select(SupplyItem).where(SupplyItem.id.in_(ids)).order_by(SupplyItem.code)).all()
    rows = []
    for item in items:
        quantity, soonest = held.get(item.id, (0, None))
        par = pars.get(item.id)
        rows.append(ItemStock(
            item=item, quantity=quantity, soonest_expiry=soonest,
            minimum=par.minimum if par else None, target=par.target if par else None,
            shortage=short.get(item.id), task_needed=asked.get(item.id),
        ))
    return rows


def lots_to_check(session: Session, site_id: int, today: date,
                  policy: AlertPolicy) -> list[LotToCheck]:
    """Lots in the kit that count as missing: expired or expiring within the lead time."""
    rows = session.execute(
        select(StockLot, SupplyItem).join(SupplyItem, SupplyItem.id == StockLot.item_id)
        .where(StockLot.site_id == site_id, StockLot.quantity > 0,
               StockLot.expiry <= usable_after(today, policy))
        .order_by(StockLot.expiry, SupplyItem.code, StockLot.id)
    )
    return [LotToCheck(lot, item, expiry_stage(lot.expiry, today, ()) == EXPIRED)
            for lot, item in rows]


def station_needs(session: Session, site_id: int, today: date,
                  policy: AlertPolicy) -> StationNeeds:
    task = open_task(session, site_id)
    return StationNeeds(items=station_stock(session, site_id, today, policy, task),
                        task=task, lots=lots_to_check(session, site_id, today, policy))
