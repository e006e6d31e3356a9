from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api import bp
from app.api.common import (
    enum_list_arg,
    int_arg,
    iso,
    not_found,
    page_args,
    paginated,
    require_reader,
)
from app.extensions import db_session
from app.models import Gateway

GATEWAY_STATES = ("online", "offline", "stopped", "unknown")


def gateway_body(gw: Gateway) -> dict[str, Any]:
    return {
        "id": gw.id, "site_id": gw.site_id, "name": gw.name, "state": gw.state,
        "state_ts": iso(gw.state_ts), "last_seen_at": iso(gw.last_seen_at),
        "agent_version": gw.agent_version, "outbox_depth": gw.outbox_depth,
        "report_interval_s": gw.report_interval_s, "revoked": gw.revoked,
        "desired_config_version": gw.desired_config_version,
        "reported_config_version": gw.reported_config_version,
    }


@bp.get("/gateways")
def list_gateways() -> ResponseReturnValue:
    require_reader()
    page = page_args()
    query = select(Gateway).order_by(Gateway.id)
    states = enum_list_arg("state", GATEWAY_STATES)
    if states:
        query = query.where(Gateway.state.in_(states))
    site_id = int_arg("site_id")
    if site_id is not None:
        query = query.where(Gateway.site_id == site_id)
    return paginated(db_session(), query, page, gateway_body)


@bp.get("/gateways/<gateway_id>")
def get_gateway(gateway_id: str) -> ResponseReturnValue:
    require_reader()
    gw = db_session().get(Gateway, gateway_id[:64])
    if gw is None:
        raise not_found("gateway")
    return jsonify(gateway_body(gw))
