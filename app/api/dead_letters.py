"""Admin view of what ingest could not store normally: dead letters and quarantine.

Nothing from a gateway is dropped silently: a message that breaks the protocol is a dead
letter (with the reason), one from an unregistered gateway or device is quarantined.
Both are listed here with counts per reason, newest first.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, select

from app.api import bp
from app.api.common import forbidden, iso, page_args, require_reader, str_arg
from app.extensions import db_session
from app.models import DeadLetter, QuarantinedMessage

PREVIEW_BYTES = 2048


def require_admin() -> Any:
    user = require_reader()
    if getattr(user, "role", None) != "admin":
        raise forbidden("Only administrators may see rejected device messages.")
    return user


def payload_preview(payload: bytes) -> dict[str, Any]:
    """Text when it decodes (cut to a preview), else base64, so any bytes stay JSON-safe."""
    head = payload[:PREVIEW_BYTES]
    try:
        return {"text": head.decode("utf-8"), "truncated": len(payload) > PREVIEW_BYTES}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(head).decode("ascii"),
                "truncated": len(payload) > PREVIEW_BYTES}


def dead_letter_body(row: DeadLetter) -> dict[str, Any]:
    return {
        "id": row.id, "received_at": iso(row.received_at), "topic": row.topic,
        "gateway_id": row.gateway_id, "reason": row.reason, "detail": row.detail,
        "size": row.size, "payload": payload_preview(row.payload),
    }


def quarantine_body(row: QuarantinedMessage) -> dict[str, Any]:
    return {
        "id": row.id, "received_at": iso(row.received_at), "topic": row.topic,
        "gateway_id": row.gateway_id, "device_id": row.device_id, "msg_id": row.msg_id,
        "reason": row.reason, "count": row.count, "payload": row.payload,
    }


def _listing(model: Any, query: Select[Any], serialize: Any) -> ResponseReturnValue:
    page = page_args()
    gateway_id = str_arg("gateway_id", 100)
    reason = str_arg("reason", 40)
    if gateway_id:
        query = query.where(model.gateway_id == gateway_id)
    if reason:
        query = query.where(model.reason == reason)
    session = db_session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    counts: dict[str, int] = {
        row[0]: int(row[1])
        for row in session.execute(select(model.reason, func.count()).group_by(model.reason))
    }
    return jsonify({
        "items": [serialize(r) for r in rows], "total": int(total or 0),
        "limit": page.limit, "offset": page.offset, "counts_by_reason": counts,
    })


@bp.get("/dead-letters")
def list_dead_letters() -> ResponseReturnValue:
    require_admin()
    query = select(DeadLetter).order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
    return _listing(DeadLetter, query, dead_letter_body)


@bp.get("/quarantine")
def list_quarantine() -> ResponseReturnValue:
    require_admin()
    query = select(QuarantinedMessage).order_by(
        QuarantinedMessage.received_at.desc(), QuarantinedMessage.id.desc()
    )
    return _listing(QuarantinedMessage, query, quarantine_body)
