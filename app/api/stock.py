from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.access import Access, caller
from app.api.blueprint import api
from app.api.listing import page_of, where_given
from app.api.problems import forbidden, not_found, unprocessable
from app.api.replies import json_reply
from app.api.schemas.problem import InvalidParam
from app.api.schemas.stock import (
    NewLot,
    Restock,
    RestockDone,
    RestockSiteRef,
    RestockTaskState,
    StockLot,
    StockPage,
    StockQuery,
)
from app.audit import Actor
from app.auth.permissions import can_act_on_site
from app.extensions import db_session, get_alert_policy, get_settings
from app.models import Site, utcnow
from app.models import StockLot as StockLotRow
from app.models import SupplyItem as SupplyItemRow
from app.stock.restock import Delivery, RestockInvalid, RestockResult, restock_station


def lot_body(lot: StockLotRow, item: SupplyItemRow) -> StockLot:
    return StockLot(
        id=lot.id, site_id=lot.site_id,
        item={"id": item.id, "code": item.code, "name": item.name, "name_en": item.name_en,
              "unit": item.unit},
        quantity=lot.quantity, expiry=lot.expiry, lot_code=lot.lot_code,
        received_at=lot.received_at,
    )


@api.get("/stock", summary="List stock lots", query=StockQuery, reply=StockPage)
def list_stock(query: StockQuery) -> ResponseReturnValue:
    rows = (select(StockLotRow, SupplyItemRow)
            .join(SupplyItemRow, StockLotRow.item_id == SupplyItemRow.id)
            .order_by(StockLotRow.site_id, SupplyItemRow.code, StockLotRow.id))
    rows = where_given(rows, [(StockLotRow.site_id, query.site_id),
                              (SupplyItemRow.code, query.item)])
    if query.expiring_before is not None:
        rows = rows.where(StockLotRow.expiry.is_not(None),
                          StockLotRow.expiry < query.expiring_before)
    return json_reply(page_of(StockPage, db_session(), rows, query, lot_body))


_RESTOCK_ERRORS = {403: "Another team's site, or a read-only account", 404: "No such site",
                   422: "A field is wrong (named in invalid-params); nothing was recorded"}


def _field_name(loc: tuple[str | int, ...]) -> str:
    """The body member an error of the operation is about, as this API names it."""
    parts = ["remove_lot_ids" if p == "removed_lot_ids" else str(p) for p in loc]
    return ".".join(parts)


def _restock(site_id: int, deliveries: list[Delivery], removed: list[int]) -> RestockResult:
    user = caller()
    dbs = db_session()
    site = dbs.get(Site, site_id)
    if site is None:
        raise not_found("site")
    if not can_act_on_site(user, site):
        raise forbidden("This site belongs to another team.")
    try:
        result = restock_station(dbs, site, Actor(user.id, user.username), deliveries, removed,
                                 utcnow(), get_settings().tz, get_alert_policy())
    except RestockInvalid as exc:
        dbs.rollback()
        raise unprocessable([InvalidParam(name=_field_name(e.loc), reason=e.text)
                             for e in exc.errors]) from None
    dbs.commit()
    return result


def _lots(result: RestockResult) -> list[StockLot]:
    items = {i.id: i for i in db_session().scalars(select(SupplyItemRow).where(
        SupplyItemRow.id.in_({lot.item_id for lot in result.lots})))}
    return [lot_body(lot, items[lot.item_id]) for lot in result.lots]


@api.post("/stock", summary="Record a delivery (a restock with one lot)", body=NewLot,
          reply=StockLot, status=201, access=Access.WRITER, errors=_RESTOCK_ERRORS)
def add_stock(body: NewLot) -> ResponseReturnValue:
    result = _restock(body.site_id, [Delivery(body.item, body.quantity, body.expiry,
                                              body.lot_code)], [])
    return json_reply(_lots(result)[0], 201)


@api.post("/sites/<int:site_id>/restock", summary="Restock a station", path=RestockSiteRef,
          body=Restock, reply=RestockDone, status=201, access=Access.WRITER,
          errors=_RESTOCK_ERRORS)
def restock_site(site_id: int, body: Restock) -> ResponseReturnValue:
    result = _restock(site_id, [Delivery(d.item, d.quantity, d.expiry, d.lot_code)
                                for d in body.deliveries], list(body.remove_lot_ids))
    task = RestockTaskState(id=result.task.id, status=result.task.status) if result.task else None
    resolved = sum(v for k, v in result.checks.items() if k.endswith("_resolved"))
    return json_reply(RestockDone(
        site_id=site_id, lots=_lots(result), removed_lot_ids=[r["lot_id"] for r in result.removed],
        task=task, alerts_resolved=resolved), 201)
