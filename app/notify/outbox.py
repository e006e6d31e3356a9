"""Turn alerts that need telling into notification rows (the outbox), once per round.

An active alert needs a notification while `last_notified_at` is NULL: when it opens,
when its expiry stage moves closer, when the escalation job asks for a repeat, when it is
handed over to another team (app/alerts/lifecycle.assign). Each such round gets a number
(notify_count + 1). A run takes a round with a conditional UPDATE of the alert (the
notify_count it read, last_notified_at still NULL), so when two run at once (the notify
job and a woken notifier, app/notify/now.py) one writes the round and the other finds it
taken; the log row key "alert:{id}:n{round}:c{ch}" is unique besides, so however often
this runs, a round reaches each channel once. How an alert ended is told the same way,
to the channels that heard of it (app/notify/resolutions.py).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.lifecycle import team_in_charge
from app.alerts.policy import AlertPolicy
from app.alerts.subjects import Name, Names, names_of, words_for
from app.config import Settings
from app.i18n.when import local_moment
from app.models import Alert, NotificationLog, NotificationRoute, Site, Team
from app.notify.resolutions import resolution_rows
from app.notify.routing import channel_locale, channels_for, is_urgent, quiet_until
from app.notify.texts import alert_body, alert_subject, place
from app.sql_rows import affected


def load_routes(session: Session) -> list[NotificationRoute]:
    return list(session.scalars(
        select(NotificationRoute).options(selectinload(NotificationRoute.channel))
    ))


def add_log(session: Session, row: NotificationLog) -> bool:
    """Insert unless that key exists already (a second run of the same round)."""
    if session.scalar(select(NotificationLog.id).where(
            NotificationLog.dedupe_key == row.dedupe_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def _message(alert: Alert, names: Names, round_no: int, locale: str, tz: tzinfo,
             now: datetime, assigned_to: Name | None) -> tuple[str, str]:
    """(subject, body) of one round of an alert, in ``locale``, times in ``tz``."""
    words = words_for(alert, names, locale, tz, now)
    where = place(words.where, alert.gateway_id)
    subject = alert_subject(alert.kind, alert.severity, where, round_no,
                            alert.escalation_level, alert.stage, locale,
                            assigned_to.in_(locale) if assigned_to else "")
    opened = local_moment(alert.opened_at, locale, tz, now)
    return subject, alert_body(words.text, where, opened, alert.status, "", locale)


def _take_round(session: Session, alert: Alert, now: datetime) -> bool:
    """This run writes the alert's next round, unless another run took it meanwhile."""
    round_no = alert.notify_count + 1
    taken = affected(session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status.in_(ACTIVE_STATES),
               Alert.last_notified_at.is_(None), Alert.notify_count == alert.notify_count)
        .values(notify_count=round_no, last_notified_at=now)
        .execution_options(synchronize_session=False)
    ))
    if taken:
        # Written already: the loaded object learns the values without a second UPDATE.
        set_committed_value(alert, "notify_count", round_no)
        set_committed_value(alert, "last_notified_at", now)
    return bool(taken)


def _handed_over(session: Session, alerts: list[Alert],
                 team_of: dict[int, int | None]) -> dict[int, Name]:
    """Alerts told before whose team in charge is not the one told last time (assigned
    to another team, or handed back to their site's): the new team's name, by alert id."""
    told_before = [a for a in alerts if a.notify_count > 0 and team_of[a.id] is not None]
    if not told_before:
        return {}
    last_team: dict[int, int | None] = {}
    for alert_id, team_id in session.execute(
            select(NotificationLog.alert_id, NotificationLog.team_id)
            .where(NotificationLog.alert_id.in_([a.id for a in told_before]),
                   NotificationLog.event != "resolved")
            .order_by(NotificationLog.id)):
        if alert_id is not None:
            last_team[alert_id] = team_id
    # With no message before (no route matched), only an assignment is a hand-over.
    moved = {a.id: team_of[a.id] for a in told_before
             if (last_team[a.id] != team_of[a.id] if a.id in last_team
                 else a.assigned_team_id is not None)}
    if not moved:
        return {}
    teams = {tid: Name(name, name_en) for tid, name, name_en in session.execute(
        select(Team.id, Team.name, Team.name_en).where(Team.id.in_(set(moved.values()))))}
    return {aid: teams[tid] for aid, tid in moved.items() if tid in teams}


def _enqueue_rounds(session: Session, routes: list[NotificationRoute], now: datetime,
                    settings: Settings) -> dict[str, int]:
    pending = list(session.scalars(
        select(Alert).where(Alert.status.in_(ACTIVE_STATES), Alert.last_notified_at.is_(None))
        .order_by(Alert.id)
    ))
    if not pending:
        return {"alerts": 0, "messages": 0}
    names = names_of(session, pending)
    site_teams = dict(session.execute(select(Site.id, Site.team_id).where(
        Site.id.in_({a.site_id for a in pending if a.site_id is not None}))).all())
    team_of = {a.id: team_in_charge(a, site_teams.get(a.site_id) if a.site_id else None)
               for a in pending}
    assigned = _handed_over(session, pending, team_of)
    taken = messages = 0
    tz = settings.tz
    for alert in pending:
        # Taken in id order by every run, so two runs at once never wait on each other
        # in a circle.
        if not _take_round(session, alert, now):
            continue
        taken += 1
        team_id, round_no = team_of[alert.id], alert.notify_count
        urgent = is_urgent(alert)
        event = ("opened" if round_no == 1 else "assigned" if alert.id in assigned
                 else "reminder")
        # Each channel reads its own language; the words are made once per language.
        framed: dict[str, tuple[str, str]] = {}
        for channel in channels_for(alert, team_id, routes):
            locale = channel_locale(channel, settings.default_locale)
            if locale not in framed:
                framed[locale] = _message(alert, names, round_no, locale, tz, now,
                                          assigned.get(alert.id))
            subject, body = framed[locale]
            wait = None if urgent else quiet_until(channel, now, tz)
            row = NotificationLog(
                dedupe_key=f"alert:{alert.id}:n{round_no}:c{channel.id}",
                channel_id=channel.id, alert_id=alert.id, team_id=team_id,
                event=event, urgent=urgent,
                subject=subject[:300], body=body, status="deferred" if wait else "pending",
                attempts=0, next_attempt_at=wait or now, created_at=now,
            )
            if add_log(session, row):
                messages += 1
    return {"alerts": taken, "messages": messages}


def enqueue_alert_notifications(session: Session, now: datetime, settings: Settings,
                                policy: AlertPolicy) -> dict[str, int]:
    """Outbox rows for every round that needs telling and every resolution not yet told;
    the caller commits, then delivery (app/notify/dispatch.py) sends them."""
    routes = [r for r in load_routes(session) if not r.digest]
    summary = _enqueue_rounds(session, routes, now, settings)
    summary["resolutions"] = sum(add_log(session, row)
                                 for row in resolution_rows(session, now, settings))
    return summary
