"""How an alert ended, told to the channels that heard of it: once per alert and channel.

A resolved alert that went through the outbox (its `last_notified_at` is set) has one
more thing to tell. A run takes it by clearing `last_notified_at` with a conditional
UPDATE (on a resolved alert NULL means "nothing more to tell"), so when two runs meet,
one tells it. Then:

- its messages not sent yet are cancelled: whoever never heard of the alert hears
  neither the alert nor its end;
- each channel that was sent a message about it (or is being sent one) gets "已恢复:…" /
  "Resolved: …" with the resolution in words (app/alerts/texts.py), in the channel's
  language, key "alert:{id}:resolved:c{channel}";
- nothing is told when the alert made way for a newer one about the same subject at the
  same moment (pads expiring → expired, check due → overdue, cabinet opened → AED in
  use): the AED is not back, and the newer alert is told instead.

An alert with a message being sent at this moment waits for a later run, so its end
never overtakes it. Only alerts resolved within RECENT are looked at, so the query stays
small and a database from before this rule does not tell its history.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.alerts import texts
from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.subjects import Names, names_of, words_for
from app.config import Settings
from app.i18n.when import local_moment
from app.models import Alert, NotificationChannel, NotificationLog
from app.notify.routing import channel_locale, is_urgent, quiet_until
from app.notify.texts import place, resolution_body, resolution_subject
from app.sql_rows import affected

RECENT = timedelta(days=2)
EVENT = "resolved"
#: Messages that may still go out, and those a channel has (or is about to have) read.
UNSENT = ("pending", "deferred", "retrying")
HEARD = ("sent", "sending")
CANCELLED = "cancelled"
CANCELLED_WHY = "the alert was resolved before this message was sent"
#: Ids per IN (...) list: SQLite allows 32,766 parameters per statement.
CHUNK = 2000


T = TypeVar("T")


def _chunks(values: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def _take(session: Session, alert: Alert) -> bool:
    taken = affected(session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status == "resolved",
               Alert.last_notified_at.is_not(None))
        .values(last_notified_at=None)
        .execution_options(synchronize_session=False)
    ))
    if taken:
        set_committed_value(alert, "last_notified_at", None)
    return bool(taken)


def _sending(session: Session, ids: Sequence[int]) -> set[int]:
    busy: set[int] = set()
    for chunk in _chunks(ids):
        busy.update(session.scalars(select(NotificationLog.alert_id).where(
            NotificationLog.alert_id.in_(chunk), NotificationLog.status == "sending")))
    return busy


def _cancel_unsent(session: Session, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        session.execute(
            update(NotificationLog)
            .where(NotificationLog.alert_id.in_(chunk), NotificationLog.status.in_(UNSENT))
            .values(status=CANCELLED, last_error=CANCELLED_WHY)
            .execution_options(synchronize_session=False)
        )


def _heard(session: Session, ids: Sequence[int]) -> dict[tuple[int, int], int | None]:
    """(alert id, channel id) → the team it was told for, of every message read."""
    out: dict[tuple[int, int], int | None] = {}
    for chunk in _chunks(ids):
        for alert_id, channel_id, team_id in session.execute(
                select(NotificationLog.alert_id, NotificationLog.channel_id,
                       NotificationLog.team_id)
                .where(NotificationLog.alert_id.in_(chunk),
                       NotificationLog.status.in_(HEARD), NotificationLog.event != EVENT)
                .order_by(NotificationLog.id)):
            if alert_id is not None:
                out[(alert_id, channel_id)] = team_id
    return out


def _made_way(session: Session, alerts: Sequence[Alert]) -> set[int]:
    """Alerts resolved in the same moment as a newer active alert about their subject
    opened (one transaction wrote both)."""
    opened: set[tuple[str, str, datetime]] = set()
    for chunk in _chunks(sorted({a.subject_id for a in alerts})):
        opened.update((kind, sid, at) for kind, sid, at in session.execute(
            select(Alert.subject_type, Alert.subject_id, Alert.opened_at)
            .where(Alert.subject_id.in_(chunk), Alert.status.in_(ACTIVE_STATES))))
    return {a.id for a in alerts
            if a.resolved_at is not None
            and (a.subject_type, a.subject_id, a.resolved_at) in opened}


def _message(alert: Alert, names: Names, locale: str, tz: tzinfo,
             now: datetime) -> tuple[str, str]:
    where = place(words_for(alert, names, locale, tz, now).where, alert.gateway_id)
    text = texts.resolution_text(alert.resolution, locale, names.subject(alert).in_(locale))
    resolved = local_moment(alert.resolved_at or now, locale, tz, now)
    return (resolution_subject(alert.kind, where, locale),
            resolution_body(text, where, resolved, locale))


def resolution_rows(session: Session, now: datetime,
                    settings: Settings) -> list[NotificationLog]:
    """The messages telling how alerts ended, for the caller to add to the outbox."""
    ended = list(session.scalars(
        select(Alert).where(Alert.status == "resolved", Alert.last_notified_at.is_not(None),
                            Alert.resolved_at >= now - RECENT)
        .order_by(Alert.id)
    ))
    if not ended:
        return []
    busy = _sending(session, [a.id for a in ended])
    # In id order, like the rounds: two runs at once never wait on each other in a circle.
    taken = [a for a in ended if a.id not in busy and _take(session, a)]
    if not taken:
        return []
    ids = [a.id for a in taken]
    _cancel_unsent(session, ids)
    heard = _heard(session, ids)
    quiet = _made_way(session, taken)
    tell = {a.id: a for a in taken if a.id not in quiet}
    heard = {key: team for key, team in heard.items() if key[0] in tell}
    if not heard:
        return []
    channels = {c.id: c for c in session.scalars(select(NotificationChannel).where(
        NotificationChannel.id.in_({channel_id for _a, channel_id in heard})))}
    names = names_of(session, tell.values())
    tz = settings.tz
    framed: dict[tuple[int, str], tuple[str, str]] = {}
    rows: list[NotificationLog] = []
    for (alert_id, channel_id), team_id in heard.items():
        channel = channels.get(channel_id)
        if channel is None or not channel.enabled:
            continue
        alert = tell[alert_id]
        locale = channel_locale(channel, settings.default_locale)
        if (alert_id, locale) not in framed:
            framed[(alert_id, locale)] = _message(alert, names, locale, tz, now)
        subject, body = framed[(alert_id, locale)]
        urgent = is_urgent(alert)
        wait = None if urgent else quiet_until(channel, now, tz)
        rows.append(NotificationLog(
            dedupe_key=f"alert:{alert_id}:{EVENT}:c{channel_id}", channel_id=channel_id,
            alert_id=alert_id, team_id=team_id, event=EVENT, urgent=urgent,
            subject=subject[:300], body=body, status="deferred" if wait else "pending",
            attempts=0, next_attempt_at=wait or now, created_at=now,
        ))
    return rows
