"""The one restock operation: what the web form, the API and a restock task all run.

A volunteer at a station puts delivered lots in and takes lots out (expired, expiring,
damaged). Recording it, in the caller's transaction:
1. checks every input and reports every problem at once, per field (RestockInvalid);
2. deletes the lots taken out (the audit row keeps what they were) and adds the
   delivered ones;
3. closes the station's open restock task, if any, with what was delivered per line;
4. re-checks that station at once: stock_low and the restock task from the shortage
   maths, stock_expiring / stock_expired from the lots left (app/stock/jobs.py), so
   its alerts resolve now rather than at the next hourly scan;
5. writes one audit row saying all of it. A restock that no task asked for is recorded
   the same way.
The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.alerts.stages import EXPIRED, expiry_stage
from app.audit import Actor, jsonable, record_as, suspend_row_audit
from app.i18n.marked import N_, Marked
from app.models import AuditLog, RestockTask, Site, StockLot, SupplyItem
from app.stock.jobs import check_stations
from app.stock.tasks import close_task

MAX_QUANTITY = 100_000
MAX_LOT_CODE = 64
#: Where a problem is: ("deliveries", 0, "quantity"), ("removed_lot_ids", 2), or () for
#: the restock as a whole (the shape of pydantic's error locations, for the API).
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Delivery:
    """One delivered lot. `item` is the supply item's code, as the API names items."""

    item: str
    quantity: int
    expiry: date | None
    lot_code: str | None = None


@dataclass(frozen=True)
class FieldError(Marked):
    loc: Loc
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class RestockInvalid(ValueError):
    """Nothing was recorded; `errors` says what to correct, field by field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc)) or 'restock'}: {e.text}"
                                   for e in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class RestockResult:
    audit: AuditLog
    lots: tuple[StockLot, ...]
    #: What the lots taken out were (they are deleted), as the audit row keeps them.
    removed: tuple[dict[str, Any], ...]
    task: RestockTask | None
    #: Alert and task counts of the re-check (e.g. "stock_resolved": 1).
    checks: dict[str, int]


def _delivery_errors(i: int, d: Delivery, item: SupplyItem | None,
                     today: date) -> list[FieldError]:
    errors: list[FieldError] = []

    def add(part: str, code: str, message: str, **params: Any) -> None:
        errors.append(FieldError(("deliveries", i, part), code, message, params))

    if not d.item:
        add("item", "item_required", N_("Choose an item."))
    elif item is None:
        add("item", "unknown_item", N_("There is no such supply item."))
    if d.quantity <= 0:
        add("quantity", "quantity_not_positive", N_("Enter a whole number above zero."))
    elif d.quantity > MAX_QUANTITY:
        add("quantity", "quantity_too_large", N_("At most %(max)d at a time."), max=MAX_QUANTITY)
    if d.expiry is None:
        if item is not None and item.shelf_life_days is not None:
            add("expiry", "expiry_required",
                N_("Enter the expiry date printed on the package."))
    elif expiry_stage(d.expiry, today, ()) == EXPIRED:
        add("expiry", "expiry_passed",
            N_("This lot has expired (an item expiring today may not be used today): "
               "it must not go into the kit."))
    if d.lot_code is not None and len(d.lot_code.strip()) > MAX_LOT_CODE:
        add("lot_code", "lot_code_too_long", N_("At most %(max)d characters."),
            max=MAX_LOT_CODE)
    return errors


def validate(session: Session, site: Site, deliveries: Sequence[Delivery],
             removed_lot_ids: Sequence[int], today: date,
             ) -> tuple[dict[str, SupplyItem], dict[int, StockLot]]:
    """The items delivered (by code) and the lots taken out (by id), or RestockInvalid."""
    codes = {d.item for d in deliveries if d.item}
    items = {i.code: i for i in session.scalars(
        select(SupplyItem).where(SupplyItem.code.in_(codes)))} if codes else {}
    ids = set(removed_lot_ids)
    lots = {lot.id: lot for lot in session.scalars(
        select(StockLot).where(StockLot.id.in_(ids), StockLot.site_id == site.id,
                               StockLot.quantity > 0))} if ids else {}
    errors: list[FieldError] = []
    for i, d in enumerate(deliveries):
        errors += _delivery_errors(i, d, items.get(d.item), today)
    for j, lot_id in enumerate(removed_lot_ids):
        if lot_id not in lots:
            errors.append(FieldError(("removed_lot_ids", j), "lot_not_here",
                                     N_("This lot is not in this station's stock "
                                        "(taken out already?).")))
    if not deliveries and not removed_lot_ids:
        errors.append(FieldError((), "nothing_entered",
                                 N_("Enter what you put in, or tick the lots you took out.")))
    if errors:
        raise RestockInvalid(errors)
    return items, lots


def _lot_record(lot: StockLot, code: str) -> dict[str, Any]:
    return {"lot_id": lot.id, "item": code, "quantity": lot.quantity,
            "expiry": jsonable(lot.expiry), "lot_code": lot.lot_code}


def restock_station(
    session: Session, site: Site, actor: Actor, deliveries: Sequence[Delivery],
    removed_lot_ids: Sequence[int], now: datetime, tz: ZoneInfo, policy: AlertPolicy,
) -> RestockResult:
    """Record a restock of `site` (see the module's docstring); the caller commits."""
    today = now.astimezone(tz).date()
    items, lots = validate(session, site, deliveries, removed_lot_ids, today)
    codes = {i.id: i.code for i in session.scalars(select(SupplyItem).where(
        SupplyItem.id.in_({lot.item_id for lot in lots.values()})))} if lots else {}
    # This row says it all; one row per lot, task line and alert would bury it.
    suspend_row_audit(session)
    try:
        taken_out = sorted(lots.values(), key=lambda lot: lot.id)
        removed = tuple(_lot_record(lot, codes[lot.item_id]) for lot in taken_out)
        for lot in taken_out:
            session.delete(lot)
        added = tuple(
            StockLot(site_id=site.id, item_id=items[d.item].id, quantity=d.quantity,
                     expiry=d.expiry, lot_code=(d.lot_code or "").strip() or None,
                     received_at=now)
            for d in deliveries
        )
        session.add_all(added)
        session.flush()
        delivered: dict[int, int] = {}
        for lot in added:
            delivered[lot.item_id] = delivered.get(lot.item_id, 0) + lot.quantity
        task = close_task(session, site.id, delivered, actor.user_id, now)
        checks = check_stations(session, now, tz, policy, [site.id])
        audit = record_as(
            session, actor, "restock", "site", str(site.id),
            before={"lots": list(removed)},
            after={"lots": [_lot_record(lot, d.item)
                            for lot, d in zip(added, deliveries, strict=True)],
                   "removed_lot_ids": [r["lot_id"] for r in removed],
                   "task_id": task.id if task else None, "checks": checks},
        )
        audit.at = now
        session.flush()
    finally:
        suspend_row_audit(session, False)
    return RestockResult(audit=audit, lots=added, removed=removed, task=task, checks=checks)
