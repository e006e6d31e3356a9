"""Deliver due outbox rows: one worker thread per channel, retries with backoff.

A row is claimed (status "sending" with a short lease in next_attempt_at) before it is
sent, so two dispatchers never send the same row (the notify job and a woken notifier,
app/notify/now.py, often run at once) and a dispatcher that dies mid-send leaves a row
that is picked up again when the lease passes (at least once). The lease runs from the
moment of the claim, not from the start of the round: a round busy with a slow channel
would otherwise hand out leases already over, and another dispatcher would send the row
too. A channel that fails stops for this round only; the other channels' threads carry
on. A row that goes after another (``after_key``: a platform's changes of one AED) is
claimed only once that one is no longer due (sent, or given up), so a later change never
overtakes an earlier one that is waiting for its retry.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, select, update
from sqlalchemy.orm import aliased

from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.db import Database
from app.models import NotificationChannel, NotificationLog
from app.notify.channels import DeliveryError, send
from app.sql_rows import affected

log = logging.getLogger("aed.notify")
DUE = ("pending", "deferred", "retrying", "sending")
Sender = Callable[[NotificationChannel, str, str, bool, float], None]


def backoff(attempts: int, policy: AlertPolicy) -> timedelta:
    return timedelta(seconds=min(policy.retry_max_s, policy.retry_base_s * 2 ** (attempts - 1)))


_BEFORE = aliased(NotificationLog)


def _waiting() -> ColumnElement[bool]:
    """The row goes after one still due (a platform's earlier change of the same AED)."""
    return and_(NotificationLog.after_key.is_not(None), exists().where(
        _BEFORE.dedupe_key == NotificationLog.after_key, _BEFORE.status.in_(DUE)))


def _claim(db: Database, row_id: int, now: datetime, lease: timedelta) -> NotificationLog | None:
    with db.session() as session:
        taken = affected(session.execute(
            update(NotificationLog)
            .where(NotificationLog.id == row_id, NotificationLog.status.in_(DUE),
                   NotificationLog.next_attempt_at <= now, ~_waiting())
            .values(status="sending", next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        ))
        if not taken:
            return None
        return session.get(NotificationLog, row_id)


def _finish(db: Database, row_id: int, error: str | None, policy: AlertPolicy,
            now: datetime) -> str:
    with db.session() as session:
        row = session.get(NotificationLog, row_id)
        if row is None:
            return "gone"
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
        elif row.attempts >= policy.max_attempts:
            row.status, row.last_error = "failed", error
        else:
            row.status, row.last_error = "retrying", error
            row.next_attempt_at = now + backoff(row.attempts, policy)
        return row.status


def _deliver_channel(db: Database, channel: NotificationChannel, row_ids: list[int],
                     now: datetime, policy: AlertPolicy, sender: Sender,
                     started: float) -> dict[str, int]:
    """``now`` is the round's moment, taken at monotonic time ``started``."""
    counts: dict[str, int] = defaultdict(int)
    lease = timedelta(seconds=policy.send_timeout_s * 3)
    for row_id in row_ids:
        claimed_at = now + timedelta(seconds=time.monotonic() - started)
        row = _claim(db, row_id, claimed_at, lease)
        if row is None:
            continue
        error: str | None = None
        try:
            sender(channel, row.subject, row.body, row.urgent, policy.send_timeout_s)
        except DeliveryError as exc:
            error = str(exc)[:1000]
        except Exception as exc:  # a broken channel config must not kill the dispatcher
            log.exception("channel %s crashed", channel.name)
            error = f"{type(exc).__name__}: {exc}"[:1000]
        status = _finish(db, row_id, error, policy, now)
        counts[status] += 1
        if error is not None:
            log.warning("notification %s via %s failed (%s): %s", row_id, channel.name,
                        status, error)
            # The channel is down: leave its other rows for the next round.
            break
    return dict(counts)


def dispatch_pending(db: Database, now: datetime, settings: Settings, policy: AlertPolicy,
                     sender: Sender = send, limit: int = 500) -> dict[str, int]:
    started = time.monotonic()
    with db.session() as session:
        due = session.execute(
            select(NotificationLog.id, NotificationLog.channel_id)
            .where(NotificationLog.status.in_(DUE), NotificationLog.next_attempt_at <= now)
            # Rows waiting behind another come last: they must not take a round's places
            # from rows that can go (they go in the same round once theirs was sent).
            .order_by(NotificationLog.urgent.desc(), case((_waiting(), 1), else_=0),
                      NotificationLog.id)
            .limit(limit)
        ).all()
        channel_ids = {c for _i, c in due}
        channels = {c.id: c for c in session.scalars(
            select(NotificationChannel).where(NotificationChannel.id.in_(channel_ids)))}
    by_channel: dict[int, list[int]] = defaultdict(list)
    for row_id, channel_id in due:
        by_channel[channel_id].append(row_id)
    totals: dict[str, int] = defaultdict(int)
    if not by_channel:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(by_channel)),
                            thread_name_prefix="notify") as pool:
        futures = [
            pool.submit(_deliver_channel, db, channels[cid], ids, now, policy, sender, started)
            for cid, ids in by_channel.items() if cid in channels and channels[cid].enabled
        ]
        for future in futures:
            for key, value in future.result().items():
                totals[key] += value
    return dict(totals)
