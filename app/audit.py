"""Audit log of every change made by a person: who, what, before and after.

A session opted in with :func:`attach_actor` records, at each flush, one AuditLog row
per inserted, updated or deleted row, with the changed columns' old and new values.
Doing it at flush time (instead of by hand in each view) means no write path can forget
it: web forms, the API and the import all go through the same hook. Machine writers
(ingest, scheduler) leave their sessions unattached and are not logged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, event, insert, inspect
from sqlalchemy.orm import Mapper, Session, UOWTransaction, object_session

from app.models import AuditLog, LoginThrottle, PendingConfigPush
from app.models.base import Base, utcnow

# Rows that are bookkeeping, not facts someone changed.
_NOT_AUDITED: tuple[type[Base], ...] = (AuditLog, LoginThrottle, PendingConfigPush)
# Never copy secrets into the log, not even hashed.
_REDACTED = frozenset({"password_hash", "api_token_hash"})
# Personal data, by table: the log says that it changed and which value it was, never the
# value in clear (a short hash of a phone number is as good as the number: the numbers
# are few enough to try them all), so erasing the person leaves nothing of them here.
_MASKED: dict[str, frozenset[str]] = {
    "responder": frozenset({"name", "phone", "certificate_number"}),
    "asset": frozenset({"guardian_name", "guardian_phone"}),
    "site": frozenset({"contact_name", "contact_phone"}),
}
_ACTOR_KEY = "audit_actor"
_BULK_KEY = "audit_bulk"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str


def attach_actor(session: Session, actor: Actor) -> None:
    session.info[_ACTOR_KEY] = actor


def actor_of(session: Session) -> Actor | None:
    value = session.info.get(_ACTOR_KEY)
    return value if isinstance(value, Actor) else None


def suspend_row_audit(session: Session, suspended: bool = True) -> None:
    """Bulk imports write one summary entry instead of one entry per row."""
    session.info[_BULK_KEY] = suspended


def record(session: Session, action: str, entity_type: str, entity_id: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditLog | None:
    """An explicit entry (e.g. a login, an import summary) for the attached actor."""
    actor = actor_of(session)
    if actor is None:
        return None
    return record_as(session, actor, action, entity_type, entity_id, before, after)


def record_as(session: Session, actor: Actor, action: str, entity_type: str, entity_id: str,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditLog:
    """An explicit entry by a named actor: a machine writer (a device, the scheduler)
    records what it decided for people to see, without auditing its every row."""
    entry = AuditLog(
        user_id=actor.user_id, actor=actor.name, action=action, entity_type=entity_type,
        entity_id=entity_id, before=before, after=after,
    )
    session.add(entry)
    return entry


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _columns(obj: Base) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def mask(column: str, value: Any) -> Any:
    """"张**" for a name, "*******8000" for a phone or a certificate number."""
    if value is None or value == "":
        return value
    text = str(value)
    if column == "name" or column.endswith("_name"):
        return text[0] + "*" * min(len(text) - 1, 3) if len(text) > 1 else "*"
    return "*" * max(len(text) - 4, 3) + text[-4:] if len(text) > 4 else "***"


def _logged(obj: Base, key: str, value: Any) -> Any:
    if key in _REDACTED:
        return "***"
    if key in _MASKED.get(obj.__tablename__, ()):
        return mask(key, value)
    return jsonable(value)


def _snapshot(obj: Base) -> dict[str, Any]:
    return {key: _logged(obj, key, getattr(obj, key, None)) for key in _columns(obj)}


def _changes(obj: Base) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[key] = _logged(obj, key, old)
        after[key] = _logged(obj, key, new)
    return before, after


def _identity(obj: Base) -> str:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in ident)


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    actor = actor_of(session)
    if actor is None or session.info.get(_BULK_KEY):
        return
    entries: list[AuditLog] = []
    for obj in list(session.dirty):
        if isinstance(obj, _NOT_AUDITED) or not isinstance(obj, Base):
            continue
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if after or before:
            entries.append(_entry(actor, "update", obj, before, after))
    for obj in list(session.deleted):
        if isinstance(obj, Base) and not isinstance(obj, _NOT_AUDITED):
            entries.append(_entry(actor, "delete", obj, _snapshot(obj), None))
    session.add_all(entries)


@event.listens_for(Base, "after_insert", propagate=True)
def _audit_after_insert(_mapper: Mapper[Any], connection: Connection, target: Base) -> None:
    # A new row has its primary key only now, inside the flush, so its entry is written
    # on the flush's own connection (same transaction) rather than added to the session.
    if isinstance(target, _NOT_AUDITED):
        return
    session = object_session(target)
    if session is None or session.info.get(_BULK_KEY):
        return
    actor = actor_of(session)
    if actor is None:
        return
    connection.execute(insert(AuditLog).values(
        at=utcnow(), user_id=actor.user_id, actor=actor.name, action="create",
        entity_type=target.__tablename__, entity_id=_identity(target), before=None,
        after=_snapshot(target),
    ))


def _entry(
    actor: Actor, action: str, obj: Base, before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditLog:
    return AuditLog(
        user_id=actor.user_id, actor=actor.name, action=action,
        entity_type=obj.__tablename__,
        entity_id=_identity(obj), before=before, after=after,
    )
