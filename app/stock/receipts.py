"""Restocking a station: each delivery becomes a StockLot with its own expiry."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from app.models import Site, StockLot, SupplyItem


def receive_stock(
    session: Session, site: Site, item: SupplyItem, quantity: int, expiry: date | None,
    now: datetime, lot_code: str | None = None,
) -> StockLot:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    lot = StockLot(
        site_id=site.id, item_id=item.id, quantity=quantity, expiry=expiry,
        lot_code=(lot_code or "").strip() or None, received_at=now,
    )
    session.add(lot)
    return lot
