from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api import bp
from app.api.common import (
    bad_request,
    body_id,
    date_arg,
    forbidden,
    int_arg,
    iso,
    json_body,
    json_int,
    not_found,
    page_args,
    paginated,
    require_reader,
    require_writer,
    str_arg,
)
from app.auth.permissions import can_act_on_site
from app.extensions import db_session
from app.models import Site, StockLot, SupplyItem, utcnow
from app.stock.receipts import receive_stock


def lot_body(lot: StockLot, item: SupplyItem) -> dict[str, Any]:
    return {
        "id": lot.id, "site_id": lot.site_id,
        "item": {"id": item.id, "code": item.code, "name": item.name, "name_en": item.name_en,
                 "unit": item.unit},
        "quantity": lot.quantity, "expiry": iso(lot.expiry), "lot_code": lot.lot_code,
        "received_at": iso(lot.received_at),
    }


@bp.get("/stock")
def list_stock() -> ResponseReturnValue:
    require_reader()
    page = page_args()
    query = (select(StockLot, SupplyItem).join(SupplyItem, StockLot.item_id == SupplyItem.id)
             .order_by(StockLot.site_id, SupplyItem.code, StockLot.id))
    site_id = int_arg("site_id")
    if site_id is not None:
        query = query.where(StockLot.site_id == site_id)
    item = str_arg("item", 64)
    if item:
        query = query.where(SupplyItem.code == item)
    before = date_arg("expiring_before")
    if before is not None:
        query = query.where(StockLot.expiry.is_not(None), StockLot.expiry < before)
    return paginated(db_session(), query, page, lot_body)


@bp.post("/stock")
def add_stock() -> ResponseReturnValue:
    user = require_writer()
    body = json_body()
    site_id = body_id(body, "site_id")
    item_code, quantity = body.get("item"), json_int(body.get("quantity"))
    if not isinstance(item_code, str) or not item_code or len(item_code) > 64:
        raise bad_request("'item' must be a supply item code.")
    if quantity is None or not 1 <= quantity <= 100_000:
        raise bad_request("'quantity' must be an integer from 1 to 100000.")
    expiry_raw = body.get("expiry")
    expiry: date | None = None
    if expiry_raw is not None:
        try:
            expiry = date.fromisoformat(expiry_raw) if isinstance(expiry_raw, str) else None
        except ValueError:
            expiry = None
        if expiry is None:
            raise bad_request("'expiry' must be a date (YYYY-MM-DD).")
    lot_code = body.get("lot_code")
    if lot_code is not None and (not isinstance(lot_code, str) or len(lot_code) > 64):
        raise bad_request("'lot_code' must be text up to 64 characters.")
    dbs = db_session()
    site = dbs.get(Site, site_id)
    if site is None:
        raise not_found("site")
    item = dbs.scalar(select(SupplyItem).where(SupplyItem.code == item_code))
    if item is None:
        raise not_found("supply item")
    if not can_act_on_site(user, site):
        raise forbidden("This site belongs to another team.")
    lot = receive_stock(dbs, site, item, quantity, expiry, utcnow(), lot_code)
    dbs.commit()
    return jsonify(lot_body(lot, item)), 201
