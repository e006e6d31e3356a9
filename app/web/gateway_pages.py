"""Gateways: online state, config sync, dead letters and quarantined messages."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db_session
from app.mapping.map_records import gateway_statuses
from app.models import DeadLetter, Gateway, PendingConfigPush, QuarantinedMessage
from app.web.blueprint import bp


@bp.get("/gateways")
@login_required
def gateway_list() -> ResponseReturnValue:
    dbs = db_session()
    gateways = dbs.scalars(select(Gateway).order_by(Gateway.id)).all()
    statuses = gateway_statuses(dbs, [gw.id for gw in gateways])
    pending = {p.gateway_id: p for p in dbs.scalars(select(PendingConfigPush))}
    # Rejected payloads are raw device data: administrators only, as in the API.
    dead: list[DeadLetter] = []
    quarantined: list[QuarantinedMessage] = []
    if current_user.role == "admin":
        dead = list(dbs.scalars(
            select(DeadLetter).order_by(DeadLetter.received_at.desc()).limit(50)))
        quarantined = list(dbs.scalars(
            select(QuarantinedMessage).order_by(QuarantinedMessage.received_at.desc()).limit(50)))
    return render_template("gateways.html", gateways=gateways, statuses=statuses, pending=pending,
                           dead_letters=dead, quarantined=quarantined)
