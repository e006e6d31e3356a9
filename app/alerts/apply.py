"""Alerts follow state: make a subject's active alerts equal the set that should be open.

Callers evaluate their subjects (AEDs, gateways, stations) and hand in, per subject, the
wanted alerts of the kinds they manage. Applying the set opens what is missing, updates
what changed (a closer expiry stage is news: notified again), resolves what has cleared
and keeps one active alert per (subject, kind), whatever arrived before. Kinds the
caller cannot judge right now (a silent device's sensors) are left as they are, and
alerts a person must close are never closed here: except that one opening of a cabinet
tells one story, so a newer chapter (the AED taken) supersedes the older one.

It works the same for one subject and for 100,000: one query reads the active alerts of
the subjects, and only differences are written, in one statement per kind of change.
When another writer opens the same alert at the same moment, the partial unique index
decides and this one skips it (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES, ANNOTATION_KEYS, kind_of
from app.alerts.lifecycle import Subject
from app.models import Alert
from app.sql_rows import insert_rows, is_postgresql, listed, one_of, rows_as_set, split_held

#: Subjects per query of active alerts. PostgreSQL plans each query anew (its ids are
#: literals, below): 10 queries of 10,000 took 0.28 s of a sweep, 50 of 2,000 0.93 s.
CHUNK = 10_000
_ALERT: Table = Alert.__table__  # type: ignore[assignment]
#: The predicate of the partial unique index on dedupe_key (app/models/alert.py).
_ACTIVE_KEY = text("status != 'resolved'")


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class Wanted:
    """An alert that should be open (severity None: the catalogue's)."""

    kind: str
    severity: str | None = None
    stage: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert this call opened, updated or resolved."""

    id: int
    kind: str
    severity: str
    subject_type: str
    subject_id: str
    asset_id: int | None
    site_id: int | None
    gateway_id: str | None


@dataclass
class Applied:
    opened: list[AlertChange] = field(default_factory=list)
    resolved: list[AlertChange] = field(default_factory=list)
    updated: list[AlertChange] = field(default_factory=list)

    def __iadd__(self, other: Applied) -> Applied:
        self.opened += other.opened
        self.resolved += other.resolved
        self.updated += other.updated
        return self


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class SubjectWants:
    subject: Subject
    wanted: Sequence[Wanted]
    #: Kinds whose facts are stale now: neither opened nor resolved.
    unjudged: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Active:
    id: int
    kind: str
    severity: str
    stage: int | None
    detail: dict[str, Any] | None
    auto_resolve: bool


_ACTIVE_COLUMNS = (Alert.subject_id, Alert.id, Alert.kind, Alert.severity, Alert.stage,
                   Alert.detail, Alert.auto_resolve)


def _active_of(postgresql: bool) -> Any:
    return select(*_ACTIVE_COLUMNS).where(
        Alert.subject_type == bindparam("subject_type"),
        one_of(Alert.subject_id, "ids", postgresql),
        Alert.status.in_(ACTIVE_STATES),
        Alert.kind.in_(bindparam("kinds", expanding=True)))


# PostgreSQL gets the subject ids as literals. ix_alert_subject (app/models/alert.py)
# serves a bound list too, but not while a pass fills the table in its own transaction:
# planned from the statistics of before (few alerts), each chunk scans the table and
# searches its 2,000-parameter list element by element for every row, where a list of
# constants is a hash table (measured 2026-12-02, 100,000 AEDs: first pass 145 s bound,
# 19 s literal). SQLite looks the ids of one JSON array up in the index.
_ACTIVE_OF = {False: _active_of(False), True: _active_of(True)}


def _active(session: Session, subject_type: str, ids: Sequence[str],
            kinds: frozenset[str]) -> dict[str, dict[str, _Active]]:
    out: dict[str, dict[str, _Active]] = {}
    ordered = sorted(kinds)
    conn = session.connection()
    postgresql = is_postgresql(session)
    for start in range(0, len(ids), CHUNK):
        # One cached statement, the ids one parameter (SQLite) or literals rendered at
        # execution (PostgreSQL): compiling a new one per chunk would cost more.
        for subject_id, *row in conn.execute(_ACTIVE_OF[postgresql], {
                "subject_type": subject_type, "ids": listed(postgresql, ids[start:start + CHUNK]),
                "kinds": ordered}).all():
            active = _Active(*row)
            out.setdefault(subject_id, {})[active.kind] = active
    return out


def _change(subject: Subject, alert_id: int, kind: str, severity: str) -> AlertChange:
    return AlertChange(alert_id, kind, severity, subject.type, subject.id, subject.asset_id,
                       subject.site_id, subject.gateway_id)


def _new_row(subject: Subject, want: Wanted, now: datetime) -> dict[str, Any]:
    kind = kind_of(want.kind)
    return {
        "kind": kind.code, "severity": want.severity or kind.severity,
        "subject_type": subject.type, "subject_id": subject.id,
        "dedupe_key": subject.key(kind.code), "asset_id": subject.asset_id,
        "site_id": subject.site_id, "gateway_id": subject.gateway_id, "status": "open",
        "auto_resolve": kind.auto_resolve, "message": "",
        "detail": dict(want.detail) or None, "stage": want.stage, "opened_at": now,
        "notify_count": 0, "escalation_level": 0,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new alerts, skipping any another writer opened meanwhile; dedupe key ->
    id of those inserted here."""
    if not rows:
        return {}
    stmt = (insert_rows(session, _ALERT, rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=_ACTIVE_KEY)
            .returning(_ALERT.c.dedupe_key, _ALERT.c.id))
    return {key: alert_id for key, alert_id in session.execute(stmt)}


def _set(v: Any, restage: bool = False) -> Any:
    """A new severity, stage and detail for each alert of ``v`` (bound parameters or the
    columns of a set of rows); a restage is news again (notified anew)."""
    values = {"severity": v["severity"], "stage": v["stage"], "detail": v["detail"]}
    return update(_ALERT).where(_ALERT.c.id == v["b_id"]).values(
        **values, **({"last_notified_at": None} if restage else {}))


def _resolve(v: Any) -> Any:
    return (update(_ALERT).where(_ALERT.c.id == v["b_id"], _ALERT.c.status != "resolved")
            .values(status="resolved", resolved_at=v["resolved_at"],
                    resolution=v["resolution"]))


_UPDATE, _RESTAGE, _RESOLVE = "update", "restage", "resolve"
_STATEMENTS = {_UPDATE: _set, _RESTAGE: lambda v: _set(v, restage=True), _RESOLVE: _resolve}
_SET_TYPES = {"b_id": "id", "severity": "severity", "stage": "stage", "detail": "detail"}
_TYPES = {_UPDATE: _SET_TYPES, _RESTAGE: _SET_TYPES,
          _RESOLVE: {"b_id": "id", "resolved_at": "resolved_at", "resolution": "resolution"}}


def _write(session: Session, change: str, rows: list[dict[str, Any]]) -> None:
    """Through the mapped object where the session holds one (so the caller sees the
    new values), else one UPDATE of the rows as a set (app/sql_rows.py)."""
    loaded, plain = split_held(session, Alert, rows)
    for alert, row in loaded:
        for name, value in row.items():
            if name != "b_id":
                setattr(alert, name, value)
        if change == _RESTAGE:
            alert.last_notified_at = None
        if change == _RESOLVE:
            alert.status = "resolved"
    if plain:
        v = rows_as_set(session, _ALERT, plain, _TYPES[change]).c
        session.execute(_STATEMENTS[change](v),
                        execution_options={"synchronize_session": False})


def _split(detail: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A stored detail as the rule's part and the annotations others added to it."""
    if not detail or ANNOTATION_KEYS.isdisjoint(detail):
        return detail or None, {}
    ruled = {k: v for k, v in (detail or {}).items() if k not in ANNOTATION_KEYS}
    return ruled or None, {k: v for k, v in (detail or {}).items() if k in ANNOTATION_KEYS}


def apply_wanted(session: Session, subject_type: str, wants: Iterable[SubjectWants],
                 managed: frozenset[str], now: datetime,
                 chain: Sequence[str] = ()) -> Applied:
    """Apply the wanted sets of these subjects for the ``managed`` kinds. ``chain`` lists
    kinds that tell one story, newest chapter first: at most one of them stays active."""
    wants = list(wants)
    session.flush()
    active = _active(session, subject_type, [w.subject.id for w in wants], managed)
    out = Applied()
    fresh: list[tuple[Subject, dict[str, Any]]] = []
    updates: list[dict[str, Any]] = []
    restages: list[dict[str, Any]] = []
    resolves: list[dict[str, Any]] = []
    for item in wants:
        current = active.get(item.subject.id, {})
        wanted = {w.kind: w for w in item.wanted if w.kind in managed}
        for kind, want in wanted.items():
            alert = current.get(kind)
            if alert is None:
                fresh.append((item.subject, _new_row(item.subject, want, now)))
                continue
            severity = want.severity or kind_of(kind).severity
            ruled, notes = _split(alert.detail)
            if (alert.severity, alert.stage, ruled) == (severity, want.stage,
                                                        want.detail or None):
                continue
            detail = dict(want.detail) or None
            closer = (want.stage is not None and alert.stage is not None
                      and want.stage < alert.stage)
            (restages if closer else updates).append(
                {"b_id": alert.id, "severity": severity, "stage": want.stage,
                 "detail": {**(detail or {}), **notes} or None})
            out.updated.append(_change(item.subject, alert.id, kind, severity))
        if not current:
            continue
        newer = next((k for k in chain if k in wanted), None) if chain else None
        for kind, alert in current.items():
            if kind in wanted or kind in item.unjudged:
                continue
            if kind in chain and newer is not None and chain.index(newer) < chain.index(kind):
                resolution = f"superseded by {newer}"
            elif alert.auto_resolve:
                resolution = "cleared"
            else:
                continue
            resolves.append({"b_id": alert.id, "resolved_at": now, "resolution": resolution})
            out.resolved.append(_change(item.subject, alert.id, kind, alert.severity))
    _write(session, _UPDATE, updates)
    _write(session, _RESTAGE, restages)
    _write(session, _RESOLVE, resolves)
    inserted = _insert(session, [row for _subject, row in fresh])
    out.opened = [_change(subject, inserted[row["dedupe_key"]], row["kind"], row["severity"])
                  for subject, row in fresh if row["dedupe_key"] in inserted]
    return out


def apply_to_sites(session: Session, wanted: Mapping[int, Sequence[Wanted]],
                   kinds: frozenset[str], now: datetime,
                   scope: Sequence[int] | None = None) -> Applied:
    """:func:`apply_wanted` for stations whose wanted alerts a set-based rule computed:
    ``wanted`` by site id; the stations judged are ``scope``, or (None) every station
    that wants one of ``kinds`` or has one active."""
    if scope is None:
        active = session.scalars(select(Alert.site_id).where(
            Alert.subject_type == "site", Alert.kind.in_(sorted(kinds)),
            Alert.status.in_(ACTIVE_STATES)).distinct())
        ids = sorted({*wanted, *(i for i in active if i is not None)})
    else:
        ids = sorted(set(scope))
    return apply_wanted(session, "site", [
        SubjectWants(Subject("site", str(i), site_id=i), wanted.get(i, ())) for i in ids
    ], kinds, now)
