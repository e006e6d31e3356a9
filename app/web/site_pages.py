"""Site page (assets, stock, history) and the restock form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.auth.permissions import can_act_on_site, can_see_personal_data, ensure
from app.extensions import db_session
from app.models import Alert, Asset, Inspection, ParLevel, Site, StockLot, SupplyItem
from app.stock.receipts import receive_stock
from app.web import bp
from app.web.common import get_or_404, now, parse_date


def stock_rows(site: Site) -> list[dict[str, object]]:
    dbs = db_session()
    totals = dict(dbs.execute(
        select(StockLot.item_id, func.sum(StockLot.quantity))
        .where(StockLot.site_id == site.id).group_by(StockLot.item_id)
    ).all())
    soonest = dict(dbs.execute(
        select(StockLot.item_id, func.min(StockLot.expiry))
        .where(StockLot.site_id == site.id).group_by(StockLot.item_id)
    ).all())
    pars = {p.item_id: p for p in dbs.scalars(select(ParLevel).where(ParLevel.site_id == site.id))}
    item_ids = set(totals) | set(pars)
    items = {i.id: i for i in dbs.scalars(select(SupplyItem).where(SupplyItem.id.in_(item_ids)))}
    rows: list[dict[str, object]] = []
    for item_id in sorted(item_ids, key=lambda i: items[i].code):
        par = pars.get(item_id)
        quantity = int(totals.get(item_id) or 0)
        rows.append({
            "item": items[item_id], "quantity": quantity,
            "minimum": par.minimum if par else None, "target": par.target if par else None,
            "low": par is not None and quantity < par.minimum,
            "soonest_expiry": soonest.get(item_id),
        })
    return rows


@bp.get("/sites/<int:site_id>")
@login_required
def site_detail(site_id: int) -> ResponseReturnValue:
    site = get_or_404(Site, site_id)
    dbs = db_session()
    assets = dbs.scalars(select(Asset).where(Asset.site_id == site.id).order_by(Asset.id)).all()
    alerts = dbs.scalars(
        select(Alert).where(Alert.site_id == site.id).order_by(Alert.opened_at.desc()).limit(20)
    ).all()
    inspections = dbs.scalars(
        select(Inspection).where(Inspection.site_id == site.id)
        .order_by(Inspection.performed_at.desc()).limit(20)
    ).all()
    return render_template(
        "site.html", site=site, assets=assets, alerts=alerts, inspections=inspections,
        stock=stock_rows(site), can_act=can_act_on_site(current_user, site),
        show_personal=can_see_personal_data(current_user),
    )


@bp.route("/sites/<int:site_id>/restock", methods=["GET", "POST"])
@login_required
def site_restock(site_id: int) -> ResponseReturnValue:
    site = get_or_404(Site, site_id)
    ensure(can_act_on_site(current_user, site))
    dbs = db_session()
    items = dbs.scalars(select(SupplyItem).order_by(SupplyItem.code)).all()
    if request.method == "GET":
        return render_template("restock.html", site=site, items=items, stock=stock_rows(site))
    added = 0
    errors = 0
    for item in items:
        raw_qty = request.form.get(f"qty_{item.id}", "").strip()
        if not raw_qty:
            continue
        try:
            quantity = int(raw_qty)
        except ValueError:
            errors += 1
            continue
        if quantity <= 0:
            errors += 1
            continue
        expiry = parse_date(request.form.get(f"expiry_{item.id}"))
        receive_stock(dbs, site, item, quantity, expiry, now(),
                      request.form.get(f"lot_{item.id}", "")[:64])
        added += 1
    if errors:
        dbs.rollback()
        flash(_("Quantities must be whole numbers above zero."), "error")
        return render_template("restock.html", site=site, items=items,
                               stock=stock_rows(site)), 400
    dbs.commit()
    flash(_("%(count)d supply lots added.", count=added), "success")
    return redirect(url_for("web.site_detail", site_id=site.id))
