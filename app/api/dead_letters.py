"""Admin view of what ingest could not store normally: dead letters and quarantine.

Nothing from a gateway is dropped silently: a message that breaks the protocol is a dead
letter (with the reason), one from an unregistered gateway or device is quarantined.
Both are listed here with counts per reason, newest first.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from app.api.access import Access
from app.api.blueprint import api
from app.api.listing import count, where_given
from app.api.replies import json_reply
from app.api.schemas.ingest_admin import (
    Base64Preview,
    DeadLetter,
    DeadLetterPage,
    Quarantined,
    QuarantinePage,
    RejectedPage,
    RejectedQuery,
    TextPreview,
)
from app.extensions import db_session
from app.models import DeadLetter as DeadLetterRow
from app.models import QuarantinedMessage

PREVIEW_BYTES = 2048


def payload_preview(payload: bytes) -> TextPreview | Base64Preview:
    """Text when it decodes (cut to a preview), else base64, so any bytes stay JSON-safe."""
    head = payload[:PREVIEW_BYTES]
    truncated = len(payload) > PREVIEW_BYTES
    try:
        return TextPreview(text=head.decode("utf-8"), truncated=truncated)
    except UnicodeDecodeError:
        return Base64Preview(base64=base64.b64encode(head).decode("ascii"),
                             truncated=truncated)


def dead_letter_body(row: DeadLetterRow) -> DeadLetter:
    return DeadLetter(
        id=row.id, received_at=row.received_at, topic=row.topic, gateway_id=row.gateway_id,
        reason=row.reason, detail=row.detail, size=row.size,
        payload=payload_preview(row.payload),
    )


def quarantine_body(row: QuarantinedMessage) -> Quarantined:
    return Quarantined(
        id=row.id, received_at=row.received_at, topic=row.topic, gateway_id=row.gateway_id,
        device_id=row.device_id, msg_id=row.msg_id, reason=row.reason, count=row.count,
        payload=row.payload,
    )


def _page(model: Any, shape: type[RejectedPage], body: Callable[[Any], Any],
          query: RejectedQuery) -> ResponseReturnValue:
    """Newest first, with the counts per reason of all rows (whatever the filters)."""
    rows = select(model).order_by(model.received_at.desc(), model.id.desc())
    rows = where_given(rows, [(model.gateway_id, query.gateway_id),
                              (model.reason, query.reason)])
    session = db_session()
    counts = {reason: int(n) for reason, n in
              session.execute(select(model.reason, func.count()).group_by(model.reason))}
    page = session.scalars(rows.limit(query.limit).offset(query.offset))
    return json_reply(shape(items=[body(r) for r in page], total=count(session, rows),
                            limit=query.limit, offset=query.offset, counts_by_reason=counts))


@api.get("/dead-letters", summary="Rejected device messages (ingest; admins)",
         query=RejectedQuery, reply=DeadLetterPage, access=Access.ADMIN)
def list_dead_letters(query: RejectedQuery) -> ResponseReturnValue:
    return _page(DeadLetterRow, DeadLetterPage, dead_letter_body, query)


@api.get("/quarantine", summary="Messages from unregistered gateways/devices (admins)",
         query=RejectedQuery, reply=QuarantinePage, access=Access.ADMIN)
def list_quarantine(query: RejectedQuery) -> ResponseReturnValue:
    return _page(QuarantinedMessage, QuarantinePage, quarantine_body, query)
