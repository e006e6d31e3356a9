"""Alerts follow state: make a subject's active alerts equal the set that should be open.

Callers evaluate their subjects (AEDs, gateways, stations) and hand in, per subject, the
wanted alerts of the kinds they manage. Applying the set opens what is missing, updates
what changed (a closer expiry stage is news: notified again), resolves what has cleared
and keeps one active alert per (subject, kind), whatever arrived before. Kinds the
caller cannot judge right now (a silent device's sensors) are left as they are, and
alerts a person must close are never closed here: except that one opening of a cabinet
tells one story, so a newer chapter (the AED taken) supersedes the older one.

It works the same for one subject and for 100,000: one query reads the active alerts of
the subjects, and only differences are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES, kind_of
from app.alerts.lifecycle import Subject
from app.models import Alert

#: Subjects per query of active alerts.
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Wanted:
    """An alert that should be open (see app.aeds.evaluation.WantedAlert)."""

    kind: str
    severity: str | None = None
    stage: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Applied:
    opened: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)

    def __iadd__(self, other: Applied) -> Applied:
        self.opened += other.opened
        self.resolved += other.resolved
        self.updated += other.updated
        return self


@dataclass(frozen=True, slots=True)
class SubjectWants:
    subject: Subject
    wanted: Sequence[Wanted]
    #: Kinds whose facts are stale now: neither opened nor resolved.
    unjudged: frozenset[str] = frozenset()


def _active(session: Session, subject_type: str, ids: Sequence[str],
            kinds: frozenset[str]) -> dict[str, dict[str, Alert]]:
    out: dict[str, dict[str, Alert]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        for alert in session.scalars(
            select(Alert).where(Alert.subject_type == subject_type,
                                Alert.subject_id.in_(chunk), Alert.status.in_(ACTIVE_STATES),
                                Alert.kind.in_(sorted(kinds)))
        ):
            out.setdefault(alert.subject_id, {})[alert.kind] = alert
    return out


def _new_alert(subject: Subject, want: Wanted, now: datetime) -> Alert:
    kind = kind_of(want.kind)
    return Alert(
        kind=kind.code, severity=want.severity or kind.severity, subject_type=subject.type,
        subject_id=subject.id, dedupe_key=subject.key(kind.code), asset_id=subject.asset_id,
        site_id=subject.site_id, gateway_id=subject.gateway_id, status="open",
        auto_resolve=kind.auto_resolve, message="", detail=dict(want.detail) or None,
        stage=want.stage, opened_at=now, notify_count=0, escalation_level=0,
    )


def _update(alert: Alert, want: Wanted) -> bool:
    severity = want.severity or kind_of(want.kind).severity
    detail = dict(want.detail) or None
    if (alert.severity, alert.stage, alert.detail) == (severity, want.stage, detail):
        return False
    if want.stage is not None and alert.stage is not None and want.stage < alert.stage:
        alert.last_notified_at = None  # a closer stage is news: notified once more
    alert.severity, alert.stage, alert.detail = severity, want.stage, detail
    return True


def _resolve(alert: Alert, now: datetime, resolution: str) -> Alert:
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolution = resolution
    return alert


def _insert(session: Session, alerts: list[Alert]) -> list[Alert]:
    """Insert new alerts; one that another writer opened meanwhile (the partial unique
    index decides) is left to the winner. Returns the ones inserted here."""
    if not alerts:
        return []
    try:
        with session.begin_nested():
            session.add_all(alerts)
            session.flush()
        return alerts
    except IntegrityError:
        pass
    inserted = []
    for alert in alerts:
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
            inserted.append(alert)
        except IntegrityError:
            continue
    return inserted


def apply_wanted(session: Session, subject_type: str, wants: Iterable[SubjectWants],
                 managed: frozenset[str], now: datetime,
                 chain: Sequence[str] = ()) -> Applied:
    """Apply the wanted sets of these subjects for the ``managed`` kinds. ``chain`` lists
    kinds that tell one story, newest chapter first: at most one of them stays active."""
    wants = list(wants)
    active = _active(session, subject_type, [w.subject.id for w in wants], managed)
    out = Applied()
    fresh: list[Alert] = []
    for item in wants:
        current = active.get(item.subject.id, {})
        wanted = {w.kind: w for w in item.wanted if w.kind in managed}
        for kind, want in wanted.items():
            alert = current.get(kind)
            if alert is None:
                fresh.append(_new_alert(item.subject, want, now))
            elif _update(alert, want):
                out.updated.append(alert)
        for kind, alert in current.items():
            if kind in wanted or kind in item.unjudged:
                continue
            newer = next((k for k in chain if k in wanted), None)
            if kind in chain and newer is not None and chain.index(newer) < chain.index(kind):
                out.resolved.append(_resolve(alert, now, f"superseded by {newer}"))
            elif alert.auto_resolve:
                out.resolved.append(_resolve(alert, now, "cleared"))
    out.opened = _insert(session, fresh)
    return out
