from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.aeds.incidents import INCIDENT_KINDS
from app.alerts import lifecycle as alert_service
from app.alerts.lifecycle import site_of_alert
from app.api import bp
from app.api.common import (
    bad_request,
    enum_list_arg,
    forbidden,
    int_arg,
    iso,
    json_body,
    not_found,
    page_args,
    paginated,
    require_reader,
    require_writer,
)
from app.api.problems import ApiProblem
from app.auth.permissions import can_act_on_alert
from app.extensions import db_session
from app.models import Alert, utcnow
from app.models.alert import ALERT_STATUSES, SEVERITIES


def alert_body(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id, "kind": alert.kind, "severity": alert.severity,
        "status": alert.status, "subject_type": alert.subject_type,
        "subject_id": alert.subject_id, "asset_id": alert.asset_id, "site_id": alert.site_id,
        "gateway_id": alert.gateway_id, "message": alert.message,
        "opened_at": iso(alert.opened_at), "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by_id, "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by_id, "resolution": alert.resolution,
        "comments": [
            {"user_id": c.user_id, "body": c.body, "created_at": iso(c.created_at)}
            for c in alert.comments
        ],
    }


@bp.get("/alerts")
def list_alerts() -> ResponseReturnValue:
    require_reader()
    page = page_args()
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc())
    statuses = enum_list_arg("status", ALERT_STATUSES)
    if statuses:
        query = query.where(Alert.status.in_(statuses))
    severities = enum_list_arg("severity", SEVERITIES)
    if severities:
        query = query.where(Alert.severity.in_(severities))
    kinds = enum_list_arg("kind", tuple(alert_service.ALERT_KINDS))
    if kinds:
        query = query.where(Alert.kind.in_(kinds))
    for name, column in (("asset_id", Alert.asset_id), ("site_id", Alert.site_id)):
        value = int_arg(name)
        if value is not None:
            query = query.where(column == value)
    return paginated(db_session(), query, page, alert_body)


def _alert_or_404(alert_id: int) -> Alert:
    alert = db_session().get(Alert, alert_id)
    if alert is None:
        raise not_found("alert")
    return alert


@bp.get("/alerts/<int:alert_id>")
def get_alert(alert_id: int) -> ResponseReturnValue:
    require_reader()
    return jsonify(alert_body(_alert_or_404(alert_id)))


@bp.post("/alerts/<int:alert_id>/<action>")
def alert_action(alert_id: int, action: str) -> ResponseReturnValue:
    if action not in {"acknowledge", "resolve", "comments"}:
        raise not_found("alert action")
    user = require_writer()
    alert = _alert_or_404(alert_id)
    if not can_act_on_alert(user, alert, site_of_alert(db_session(), alert)):
        raise forbidden("This alert belongs to another team's site.")
    dbs = db_session()
    body = json_body() if action != "acknowledge" else {}
    try:
        if action == "acknowledge":
            alert_service.acknowledge(dbs, alert, user.id, utcnow())
        elif action == "resolve":
            if alert.kind in INCIDENT_KINDS:
                raise ApiProblem(409, "Conflict", "Close use incidents with the incident "
                                 "checklist so the AED is restored.", "use-incident")
            resolution = body.get("resolution", "resolved")
            if not isinstance(resolution, str) or not resolution.strip():
                raise bad_request("'resolution' must be a non-empty string.")
            alert_service.resolve(dbs, alert, user.id, utcnow(), resolution.strip()[:200])
        else:
            text = body.get("body")
            if not isinstance(text, str) or not text.strip() or len(text) > 2000:
                raise bad_request("'body' must be text of 1 to 2000 characters.")
            alert_service.comment(dbs, alert, user.id, text, utcnow())
    except alert_service.AlertError as exc:
        dbs.rollback()
        raise ApiProblem(409, "Conflict", str(exc), "alert-state") from None
    dbs.commit()
    return jsonify(alert_body(alert)), 201 if action == "comments" else 200
