"""Site page (assets, stock, history) and the restock form."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.api.map_common import local_today
from app.audit import actor_of
from app.auth.permissions import can_act_on_site, can_see_personal_data
from app.extensions import db_session, get_alert_policy, get_settings
from app.i18n import current_locale_code
from app.mapping.map_records import station_status_of
from app.models import Alert, Asset, Inspection, Site, SupplyItem
from app.stock.needs import StationNeeds, station_needs, station_stock
from app.stock.restock import (
    MAX_LOT_CODE,
    MAX_QUANTITY,
    Delivery,
    RestockInvalid,
    restock_station,
    validate,
)
from app.stock.tasks import open_task
from app.web.blueprint import bp
from app.web.common import acting_on, get_or_404, now, parse_date
from app.web.labels import alert_words


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
    task = open_task(dbs, site.id)
    return render_template(
        "site.html", site=site, assets=assets, alerts=alerts, inspections=inspections,
        stock=station_stock(dbs, site.id, local_today(), get_alert_policy(), task),
        restock_task=task, item_name=item_name, alert_words=alert_words(alerts),
        station_status=station_status_of(dbs, site.id, local_today(), get_alert_policy()),
        can_act=can_act_on_site(current_user, site),
        show_personal=can_see_personal_data(current_user),
    )


def item_name(item: SupplyItem) -> str:
    """Item names in the reader's language (the registry's Chinese name by default)."""
    return item.name_en if current_locale_code() == "en" and item.name_en else item.name


@dataclass
class RestockForm:
    """The restock form as typed: delivery rows (item code, quantity, expiry, lot code as
    text), the lots ticked for removal and the error shown beside each field."""

    rows: list[dict[str, str]]
    removed: set[int] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)

    @classmethod
    def blank(cls, needs: StationNeeds) -> RestockForm:
        # One row ready per item the station needs, and room for something else.
        rows = [_row(i.item.code) for i in needs.needed] + [_row(), _row()]
        return cls(rows=rows)

    @classmethod
    def posted(cls) -> RestockForm:
        raw = request.form.get("rows", "")
        count = min(int(raw), MAX_ROWS) if raw.isdigit() else 0
        rows = [{part: request.form.get(f"{part}-{r}", "").strip() for part in ROW_PARTS}
                for r in range(count)]
        removed = {int(v) for v in request.form.getlist("remove") if v.isdigit()}
        return cls(rows=rows, removed=removed)

    def deliveries(self) -> tuple[list[Delivery], list[int]]:
        """The rows typed into (an item picked alone is not an entry), and their row
        numbers. Text that is not a number or a date is marked here; the rest of the
        checking is the operation's."""
        deliveries: list[Delivery] = []
        row_of: list[int] = []
        for r, row in enumerate(self.rows):
            if not (row["quantity"] or row["expiry"] or row["lot_code"]):
                continue
            quantity = int(row["quantity"]) if row["quantity"].isdigit() else 0
            expiry = parse_date(row["expiry"])
            if row["expiry"] and expiry is None:
                self.errors[f"expiry-{r}"] = _("Enter a date as YYYY-MM-DD.")
            deliveries.append(Delivery(row["item"], quantity, expiry, row["lot_code"] or None))
            row_of.append(r)
        return deliveries, row_of

    def show(self, invalid: RestockInvalid, row_of: list[int], lot_ids: list[int]) -> None:
        for error in invalid.errors:
            # Messages are marked with N_() in app/stock/restock.py.
            text = _(error.message, **error.params)
            if error.loc[:1] == ("deliveries",):
                name = f"{error.loc[2]}-{row_of[int(error.loc[1])]}"
            elif error.loc[:1] == ("removed_lot_ids",):
                name = f"remove-{lot_ids[int(error.loc[1])]}"
            else:
                self.form_errors.append(text)
                continue
            self.errors.setdefault(name, text)


ROW_PARTS = ("item", "quantity", "expiry", "lot_code")
MAX_ROWS = 60


def _row(item: str = "") -> dict[str, str]:
    return {"item": item, "quantity": "", "expiry": "", "lot_code": ""}


def _needs(site: Site) -> StationNeeds:
    return station_needs(db_session(), site.id, local_today(), get_alert_policy())


def _restock_page(site: Site, needs: StationNeeds, form: RestockForm,
                  status: int = 200) -> ResponseReturnValue:
    items = db_session().scalars(select(SupplyItem).order_by(SupplyItem.code)).all()
    shown = {c.lot.id for c in needs.lots}
    # A ticked lot the list no longer shows (taken out meanwhile) keeps its error visible.
    form.form_errors += [text for name, text in form.errors.items()
                         if name.startswith("remove-") and int(name[7:]) not in shown]
    return render_template("restock.html", site=site, needs=needs, items=items, form=form,
                           item_name=item_name, max_quantity=MAX_QUANTITY,
                           max_lot_code=MAX_LOT_CODE,
                           lead_days=get_alert_policy().restock_lead_days), status


@bp.route("/sites/<int:site_id>/restock", methods=["GET", "POST"])
@acting_on(Site, can_act_on_site)
def site_restock(site: Site) -> ResponseReturnValue:
    dbs = db_session()
    if request.method == "GET":
        needs = _needs(site)
        return _restock_page(site, needs, RestockForm.blank(needs))
    form = RestockForm.posted()
    if request.form.get("more"):
        form.rows.append(_row())
        return _restock_page(site, _needs(site), form)
    deliveries, row_of = form.deliveries()
    lot_ids = sorted(form.removed)
    actor = actor_of(dbs)
    if actor is None:
        abort(401)
    result = None
    try:
        if form.errors:
            # Only to show every problem at once: nothing is written.
            validate(dbs, site, deliveries, lot_ids, local_today())
        else:
            result = restock_station(dbs, site, actor, deliveries, lot_ids, now(),
                                     get_settings().tz, get_alert_policy())
    except RestockInvalid as invalid:
        form.show(invalid, row_of, lot_ids)
    if result is None:
        dbs.rollback()
        flash(_("Nothing was saved yet: please correct the marked fields."), "error")
        return _restock_page(site, _needs(site), form, 400)
    dbs.commit()
    flash(_("Restock saved: %(added)d lots put in, %(removed)d taken out.",
            added=len(result.lots), removed=len(result.removed)), "success")
    if result.task is not None:
        flash(_("The restock task is done."), "success")
    return redirect(url_for("web.site_detail", site_id=site.id))
