"""The alert domain: one service used by ingest, the scheduler and the web.

An alert has a kind, a subject (asset, site or gateway) and a dedupe key
``"{subject_type}:{subject_id}:{kind}"``; at most one unresolved alert exists per key
(a partial unique index backs this up). Lifecycle: open → acknowledged → resolved, each
step recording who and when. Sensor-driven alerts (``auto_resolve``) resolve themselves
when the condition clears; use incidents wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES
from app.models import Alert, AlertComment, Asset, Gateway, Site, Team, User


class AlertError(ValueError):
    """An alert operation that is not allowed (e.g. resolving twice)."""


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class Subject:
    type: str  # "asset" | "site" | "gateway"
    id: str
    asset_id: int | None = None
    site_id: int | None = None
    gateway_id: str | None = None

    @classmethod
    def of_asset(cls, asset: Asset) -> Subject:
        return cls("asset", str(asset.id), asset_id=asset.id, site_id=asset.site_id)

    @classmethod
    def of_site(cls, site: Site) -> Subject:
        return cls("site", str(site.id), site_id=site.id)

    @classmethod
    def of_gateway(cls, gateway: Gateway) -> Subject:
        return cls("gateway", gateway.id, gateway_id=gateway.id, site_id=gateway.site_id)

    def key(self, kind: str) -> str:
        return dedupe_key(self.type, self.id, kind)


def dedupe_key(subject_type: str, subject_id: str, kind: str) -> str:
    """The one key of an active alert ("asset:12:pad_expired"); the partial unique index
    holds one unresolved alert per key."""
    return KEY_SEPARATOR.join((subject_type, subject_id, kind))


KEY_SEPARATOR = ":"


def active_alert(session: Session, subject: Subject, kind: str) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.dedupe_key == subject.key(kind),
                            Alert.status.in_(ACTIVE_STATES)))


@dataclass(frozen=True)
class _Step:
    """One step of the lifecycle. It records when and by whom in the alert's
    ``{to}_at`` and ``{to}_by_id`` columns."""

    to: str
    allowed_from: tuple[str, ...]
    #: Why it was refused, formatted with the alert's ``id`` and ``status``.
    refusal: str

    def take(self, alert: Alert, user_id: int | None, now: datetime) -> Alert:
        if alert.status not in self.allowed_from:
            raise AlertError(self.refusal.format(id=alert.id, status=alert.status))
        alert.status = self.to
        setattr(alert, f"{self.to}_at", now)
        setattr(alert, f"{self.to}_by_id", user_id)
        return alert


_ACKNOWLEDGE = _Step("acknowledged", ("open",), "alert {id} is {status}, not open")
_RESOLVE = _Step("resolved", ACTIVE_STATES, "alert {id} is already resolved")


def acknowledge(session: Session, alert: Alert, user_id: int | None, now: datetime) -> Alert:
    return _ACKNOWLEDGE.take(alert, user_id, now)


def resolve(
    session: Session, alert: Alert, user_id: int | None, now: datetime, resolution: str
) -> Alert:
    _RESOLVE.take(alert, user_id, now)
    alert.resolution = resolution
    return alert


def comment(
    session: Session, alert: Alert, user_id: int | None, body: str, now: datetime
) -> AlertComment:
    text = body.strip()
    if not text:
        raise AlertError("a comment needs some text")
    note = AlertComment(alert=alert, user_id=user_id, body=text, created_at=now)
    session.add(note)
    return note


def team_in_charge(alert: Alert, site_team_id: int | None) -> int | None:
    """The team whose routes hear of an alert: the one it was assigned to, else its
    site's."""
    return alert.assigned_team_id or site_team_id


class AssignError(AlertError):
    """Why an alert cannot be given to that team: ``code`` is "resolved", "unknown_team"
    or "unknown_user"."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


def assign(session: Session, alert: Alert, team_id: int | None,
           user_id: int | None = None) -> bool:
    """Give an active alert to a team (``None``: back to its site's team) and, optionally,
    one person of it. Its notifications go to that team's routes from now on
    (app/notify/outbox.py). The alert is news for a team that takes it over, so it is
    told again at once, to the new team. Returns whether the team in charge changed.

    The caller commits (the session's audit hook records who did it) and may wake the
    notifier (app/notify/now.py).
    """
    if alert.status not in ACTIVE_STATES:
        raise AssignError("resolved", f"alert {alert.id} is {alert.status}; it cannot be assigned")
    if team_id is not None and session.get(Team, team_id) is None:
        raise AssignError("unknown_team", f"there is no team {team_id}")
    if user_id is not None and session.get(User, user_id) is None:
        raise AssignError("unknown_user", f"there is no user {user_id}")
    site = site_of_alert(session, alert)
    site_team = site.team_id if site is not None else None
    before = team_in_charge(alert, site_team)
    alert.assigned_team_id = team_id
    alert.assigned_user_id = user_id
    handed_over = team_in_charge(alert, site_team) != before
    if handed_over and alert.last_notified_at is not None:
        alert.last_notified_at = None  # the outbox's "needs telling": a new round
    return handed_over


def site_of_alert(session: Session, alert: Alert) -> Site | None:
    """The site an alert belongs to (directly, or through its gateway): decides who may act."""
    if alert.site_id is not None:
        return session.get(Site, alert.site_id)
    if alert.gateway_id is not None:
        gateway = session.get(Gateway, alert.gateway_id)
        return gateway.site if gateway else None
    return None
