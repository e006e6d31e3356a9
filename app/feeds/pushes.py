"""Pushes to platforms: one outbox row per changed AED and platform, written in the
transaction of the change, so nothing is pushed that was not committed and nothing
committed goes unpushed.

Delivery is the outbox's (app/notify/dispatch.py: claims, retries with backoff, a
platform that is down waits for the next round) through the "platform" channel kind
(app/notify/platform.py: the body as it is, signed). Each row goes after the platform's
previous push for the same AED (``after_key``): the outbox never sends a later change
of an AED before an earlier one went out, however long the platform was away.

The body (docs/api.md, "For platforms"):

    {"delivery_id": "…", "feed": "<name>", "aed_id": 17, "seq": 5,
     "event": "changed" | "removed", "occurred_at": "…Z", "feature": {…}}

``seq`` grows by one with each push of that AED (to every platform alike); ``feature``
is the AED's record as the feed has it then, or its tombstone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.feeds.record import utc_text
from app.models import NotificationChannel, NotificationLog
from app.notify.platform import KIND

EVENT = "feed"


@dataclass(frozen=True, slots=True)
class Push:
    asset_id: int
    seq: int
    #: The GeoJSON feature, or the tombstone of an AED that left the feed.
    feature: dict[str, Any]

    @property
    def removed(self) -> bool:
        return self.feature["geometry"] is None


def push_key(channel_id: int, asset_id: int, seq: int) -> str:
    """The outbox row's dedupe key: one row per platform, AED and push."""
    return f"feed:{channel_id}:aed:{asset_id}:{seq}"


def body(delivery_id: str, feed: str, push: Push, now: datetime) -> str:
    # orjson, as the feed: the feature's dates are date objects.
    return orjson.dumps({
        "delivery_id": delivery_id, "feed": feed, "aed_id": push.asset_id, "seq": push.seq,
        "event": "removed" if push.removed else "changed", "occurred_at": utc_text(now),
        "feature": push.feature,
    }).decode("utf-8")


def enqueue_pushes(session: Session, pushes: Sequence[Push], now: datetime) -> int:
    """Outbox rows of these pushes for every enabled platform; how many."""
    if not pushes:
        return 0
    platforms = session.execute(
        select(NotificationChannel.id, NotificationChannel.config)
        .where(NotificationChannel.kind == KIND, NotificationChannel.enabled.is_(True))
        .order_by(NotificationChannel.id)).all()
    rows: list[dict[str, Any]] = []
    for channel_id, config in platforms:
        feed = str(config.get("feed", ""))
        for push in pushes:
            delivery_id = uuid.uuid4().hex
            rows.append({
                "dedupe_key": push_key(channel_id, push.asset_id, push.seq),
                # A platform added later has no row before its first: it waits for none.
                "after_key": push_key(channel_id, push.asset_id, push.seq - 1),
                "channel_id": channel_id, "event": EVENT, "urgent": False,
                "subject": delivery_id, "body": body(delivery_id, feed, push, now),
                "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
            })
    if rows:
        session.execute(insert(NotificationLog), rows)
    return len(rows)
