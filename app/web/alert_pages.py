"""Alert list and one alert with acknowledge, resolve and comment."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.aeds.incidents import INCIDENT_KINDS
from app.alerts import lifecycle as alert_service
from app.alerts.lifecycle import ACTIVE, site_of_alert
from app.auth.permissions import can_act_on_alert, ensure
from app.extensions import db_session
from app.models import Alert, Asset, User
from app.web.blueprint import bp
from app.web.common import get_or_404, now
from app.web.labels import alert_words


@bp.get("/alerts")
@login_required
def alert_list() -> ResponseReturnValue:
    show = request.args.get("show", "active")
    query = select(Alert).order_by(Alert.opened_at.desc()).limit(200)
    if show != "all":
        query = query.where(Alert.status.in_(ACTIVE))
    alerts = db_session().scalars(query).all()
    return render_template("alerts.html", alerts=alerts, alert_words=alert_words(alerts),
                           show=show)


@bp.get("/alerts/<int:alert_id>")
@login_required
def alert_detail(alert_id: int) -> ResponseReturnValue:
    alert = get_or_404(Alert, alert_id)
    dbs = db_session()
    asset = dbs.get(Asset, alert.asset_id) if alert.asset_id else None
    users = {u.id: u for u in dbs.scalars(select(User))}
    return render_template(
        "alert.html", alert=alert, asset=asset, site=site_of_alert(db_session(), alert), users=users,
        alert_words=alert_words([alert]),
        can_act=can_act_on_alert(current_user, alert, site_of_alert(db_session(), alert)),
        is_incident=alert.kind in INCIDENT_KINDS,
    )


@bp.post("/alerts/<int:alert_id>/<action>")
@login_required
def alert_action(alert_id: int, action: str) -> ResponseReturnValue:
    alert = get_or_404(Alert, alert_id)
    ensure(can_act_on_alert(current_user, alert, site_of_alert(db_session(), alert)))
    dbs = db_session()
    try:
        if action == "acknowledge":
            alert_service.acknowledge(dbs, alert, current_user.id, now())
            flash(_("Alert acknowledged: others can see you are on it."), "success")
        elif action == "resolve":
            if alert.kind in INCIDENT_KINDS and alert.asset_id is not None:
                # A use incident closes through its checklist, so the AED is restored.
                return redirect(url_for("web.asset_incident", asset_id=alert.asset_id))
            resolution = request.form.get("resolution", "").strip()[:200] or "resolved"
            alert_service.resolve(dbs, alert, current_user.id, now(), resolution)
            flash(_("Alert resolved."), "success")
        elif action == "comment":
            alert_service.comment(dbs, alert, current_user.id,
                                  request.form.get("body", "")[:2000], now())
            flash(_("Comment added."), "success")
        else:
            return ("", 404)
    except alert_service.AlertError:
        dbs.rollback()
        flash(_("That is not possible in the alert's current state."), "error")
        return redirect(url_for("web.alert_detail", alert_id=alert.id))
    dbs.commit()
    return redirect(url_for("web.alert_detail", alert_id=alert.id))
