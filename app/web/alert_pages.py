"""Alert list and one alert with acknowledge, resolve, comment and assignment to a team.

What a person commits here that others should hear of (the end of an alert they were
told about, an alert handed to another team) wakes this process's notifier, so the
message leaves at once rather than at the notify job's next period.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.alerts import lifecycle as alert_service
from app.alerts.catalogue import ACTIVE_STATES, INCIDENT_KINDS
from app.alerts.lifecycle import AssignError, site_of_alert
from app.alerts.subjects import Name
from app.alerts.texts import resolution_text
from app.auth.permissions import can_act_on_alert, ensure, roles_required
from app.extensions import db_session, wake_notifier
from app.i18n import current_locale_code
from app.models import Alert, Asset, Team, User
from app.web.blueprint import bp
from app.web.common import get_or_404, now
from app.web.labels import alert_words


@bp.get("/alerts")
@login_required
def alert_list() -> ResponseReturnValue:
    show = request.args.get("show", "active")
    query = select(Alert).order_by(Alert.opened_at.desc()).limit(200)
    if show != "all":
        query = query.where(Alert.status.in_(ACTIVE_STATES))
    alerts = db_session().scalars(query).all()
    return render_template("alerts.html", alerts=alerts, alert_words=alert_words(alerts),
                           show=show)


#: Who may hand an alert to another team.
ASSIGNERS = ("admin", "coordinator")
ASSIGN_ERRORS = {
    "unknown_team": _l("Choose a team from the list."),
    "resolved": _l("A resolved alert cannot be assigned any more."),
}
@dataclass(frozen=True)
class TeamChoice:
    id: int
    label: str


def _teams() -> list[TeamChoice]:
    locale = current_locale_code()
    return [TeamChoice(t.id, Name(t.name, t.name_en).in_(locale))
            for t in db_session().scalars(select(Team).order_by(Team.code))]


def _alert_page(alert: Alert, assign_error: str | None = None, chosen: str | None = None,
                status: int = 200) -> ResponseReturnValue:
    dbs = db_session()
    asset = dbs.get(Asset, alert.asset_id) if alert.asset_id else None
    users = {u.id: u for u in dbs.scalars(select(User))}
    site = site_of_alert(dbs, alert)
    teams = _teams()
    label = {t.id: t.label for t in teams}
    return render_template(
        "alert.html", alert=alert, asset=asset, site=site, users=users,
        alert_words=alert_words([alert]),
        can_act=can_act_on_alert(current_user, alert, site),
        is_incident=alert.kind in INCIDENT_KINDS,
        resolution=resolution_text(alert.resolution, current_locale_code()),
        teams=teams, assigned_team=label.get(alert.assigned_team_id or 0),
        site_team=label.get(site.team_id or 0) if site else None,
        can_assign=current_user.role in ASSIGNERS and alert.status in ACTIVE_STATES,
        assign_error=assign_error,
        chosen=str(alert.assigned_team_id or "") if chosen is None else chosen,
    ), status


@bp.get("/alerts/<int:alert_id>")
@login_required
def alert_detail(alert_id: int) -> ResponseReturnValue:
    return _alert_page(get_or_404(Alert, alert_id))


@bp.post("/alerts/<int:alert_id>/assign")
@login_required
@roles_required(*ASSIGNERS)
def alert_assign(alert_id: int) -> ResponseReturnValue:
    """Hand the alert to a team (an empty choice: back to its site's team)."""
    alert = get_or_404(Alert, alert_id)
    raw = request.form.get("team", "").strip()
    dbs = db_session()
    try:
        if raw and not raw.isdigit():
            raise AssignError("unknown_team", f"not a team id: {raw[:20]!r}")
        handed_over = alert_service.assign(dbs, alert, int(raw) if raw else None)
    except AssignError as exc:
        dbs.rollback()
        message = ASSIGN_ERRORS.get(exc.code, ASSIGN_ERRORS["unknown_team"])
        return _alert_page(alert, str(message), raw, 400)
    team = next((t.label for t in _teams() if t.id == alert.assigned_team_id), None)
    dbs.commit()
    if not handed_over:
        flash(_("Nothing changed: the alert already lies with that team."), "info")
    else:
        wake_notifier()
        if team is None:
            flash(_("Alert handed back to the site's team: its notifications go there now."),
                  "success")
        else:
            flash(_("Alert assigned to %(team)s: its notifications go to that team now.",
                    team=team), "success")
    return redirect(url_for("web.alert_detail", alert_id=alert.id))


@bp.post("/alerts/<int:alert_id>/<action>")
@login_required
def alert_action(alert_id: int, action: str) -> ResponseReturnValue:
    alert = get_or_404(Alert, alert_id)
    ensure(can_act_on_alert(current_user, alert, site_of_alert(db_session(), alert)))
    dbs = db_session()
    told = False
    try:
        if action == "acknowledge":
            alert_service.acknowledge(dbs, alert, current_user.id, now())
            flash(_("Alert acknowledged: others can see you are on it."), "success")
        elif action == "resolve":
            if alert.kind in INCIDENT_KINDS and alert.asset_id is not None:
                # A use incident closes through its checklist, so the AED is restored.
                return redirect(url_for("web.asset_incident", asset_id=alert.asset_id))
            resolution = request.form.get("resolution", "").strip()[:200] or "resolved"
            # People who were told of the alert are told it ended, at once.
            told = alert.last_notified_at is not None
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
    if action == "resolve" and told:
        wake_notifier()
    return redirect(url_for("web.alert_detail", alert_id=alert.id))
