"""The alert domain: one service used by ingest, the scheduler and the web.

An alert has a kind, a subject (asset, site or gateway) and a dedupe key
``"{subject_type}:{subject_id}:{kind}"``; at most one unresolved alert exists per key
(a partial unique index backs this up). Lifecycle: open → acknowledged → resolved, each
step recording who and when. Sensor-driven alerts (``auto_resolve``) resolve themselves
when the condition clears; use incidents wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Alert, AlertComment, Asset, Gateway, Site, Team, User

# kind -> (default severity, resolves by itself when the condition clears)
ALERT_KINDS: dict[str, tuple[str, bool]] = {
    # AEDs
    "pad_expiring": ("warning", True),
    "battery_expiring": ("warning", True),
    "pad_expired": ("critical", True),
    "battery_expired": ("critical", True),
    "self_test_failed": ("critical", True),
    "cabinet_opened": ("urgent", False),
    "aed_in_use": ("urgent", False),
    "door_open_too_long": ("critical", True),
    "temperature_out_of_range": ("critical", True),
    "battery_low": ("warning", True),
    # devices
    "gateway_offline": ("critical", True),
    "device_silent": ("critical", True),
    "unregistered_device": ("warning", False),
    "client_id_takeover": ("critical", False),
    # stock and checks
    "stock_low": ("warning", True),
    "stock_expiring": ("warning", True),
    "inspection_due": ("info", True),
    "inspection_overdue": ("warning", True),
}
ACTIVE = ("open", "acknowledged")


class AlertError(ValueError):
    """An alert operation that is not allowed (e.g. resolving twice)."""


@dataclass(frozen=True)
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
        return f"{self.type}:{self.id}:{kind}"


@dataclass(frozen=True)
class AlertSpec:
    """A condition that should have an alert right now."""

    kind: str
    message: str
    severity: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def active_alert(session: Session, subject: Subject, kind: str) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.dedupe_key == subject.key(kind), Alert.status.in_(ACTIVE))
    )


def raise_alert(
    session: Session, subject: Subject, spec: AlertSpec, now: datetime
) -> tuple[Alert, bool]:
    """Open an alert unless one is already active for (subject, kind).

    Returns (alert, created). An existing alert is updated in place (severity, message,
    detail) so a condition that worsens does not produce a second alert.
    """
    if spec.kind not in ALERT_KINDS:
        raise AlertError(f"unknown alert kind {spec.kind!r}")
    default_severity, auto = ALERT_KINDS[spec.kind]
    severity = spec.severity or default_severity
    existing = active_alert(session, subject, spec.kind)
    if existing is not None:
        existing.severity = severity
        existing.message = spec.message
        existing.detail = spec.detail or existing.detail
        return existing, False
    alert = Alert(
        kind=spec.kind, severity=severity, subject_type=subject.type, subject_id=subject.id,
        dedupe_key=subject.key(spec.kind), asset_id=subject.asset_id, site_id=subject.site_id,
        gateway_id=subject.gateway_id, status="open", auto_resolve=auto, message=spec.message,
        detail=spec.detail or None, opened_at=now,
    )
    # A concurrent writer (another ingest worker) may open the same alert; the partial
    # unique index decides, and the loser adopts the winner's row.
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        winner = active_alert(session, subject, spec.kind)
        if winner is None:
            raise
        return winner, False
    return alert, True


def resolve_condition(
    session: Session, subject: Subject, kind: str, now: datetime, resolution: str = "cleared"
) -> Alert | None:
    """The condition behind a self-resolving alert has cleared."""
    alert = active_alert(session, subject, kind)
    if alert is None or not alert.auto_resolve:
        return None
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolution = resolution
    return alert


def sync_alerts(
    session: Session,
    subject: Subject,
    desired: list[AlertSpec],
    managed_kinds: frozenset[str],
    now: datetime,
) -> tuple[list[Alert], list[Alert]]:
    """Make the active alerts of `managed_kinds` for `subject` match `desired`.

    Returns (newly opened, resolved). Kinds outside `managed_kinds` are left alone, so
    each caller only manages the conditions it can see.
    """
    opened: list[Alert] = []
    resolved: list[Alert] = []
    wanted = {spec.kind for spec in desired}
    for spec in desired:
        alert, created = raise_alert(session, subject, spec, now)
        if created:
            opened.append(alert)
    for kind in managed_kinds - wanted:
        cleared = resolve_condition(session, subject, kind, now)
        if cleared is not None:
            resolved.append(cleared)
    return opened, resolved


def acknowledge(session: Session, alert: Alert, user_id: int | None, now: datetime) -> Alert:
    if alert.status != "open":
        raise AlertError(f"alert {alert.id} is {alert.status}, not open")
    alert.status = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by_id = user_id
    return alert


def resolve(
    session: Session, alert: Alert, user_id: int | None, now: datetime, resolution: str
) -> Alert:
    if alert.status == "resolved":
        raise AlertError(f"alert {alert.id} is already resolved")
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolved_by_id = user_id
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
    if alert.status not in ACTIVE:
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
