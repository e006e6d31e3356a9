from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.blueprint import api
from app.api.listing import page_of, where_given
from app.api.problems import not_found
from app.api.replies import json_reply
from app.api.schemas.gateways import Gateway, GatewayPage, GatewayQuery, GatewayRef
from app.extensions import db_session
from app.models import Gateway as GatewayRow


def gateway_body(gw: GatewayRow) -> Gateway:
    return Gateway(
        id=gw.id, site_id=gw.site_id, name=gw.name, state=gw.state, state_ts=gw.state_ts,
        last_seen_at=gw.last_seen_at, agent_version=gw.agent_version,
        outbox_depth=gw.outbox_depth, report_interval_s=gw.report_interval_s,
        revoked=gw.revoked, desired_config_version=gw.desired_config_version,
        reported_config_version=gw.reported_config_version,
    )


@api.get("/gateways", summary="List gateways", query=GatewayQuery, reply=GatewayPage)
def list_gateways(query: GatewayQuery) -> ResponseReturnValue:
    rows = select(GatewayRow).order_by(GatewayRow.id)
    rows = where_given(rows, [(GatewayRow.state, query.state),
                              (GatewayRow.site_id, query.site_id)])
    return json_reply(page_of(GatewayPage, db_session(), rows, query, gateway_body))


@api.get("/gateways/<gateway_id>", summary="One gateway", path=GatewayRef,
         reply=Gateway, errors={404: "No such gateway"})
def get_gateway(gateway_id: str) -> ResponseReturnValue:
    gw = db_session().get(GatewayRow, gateway_id)
    if gw is None:
        raise not_found("gateway")
    return json_reply(gateway_body(gw))
