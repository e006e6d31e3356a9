"""Noticing a changed public record: the one place, called by every writer through
app/aeds/refresh.py (ingest, the registry, inspections, pad replacement, incidents,
maintenance, the scheduler's jobs) in the writer's own transaction.

For each AED it reads the public record (app/feeds/record.py) and compares its digest
with the stored one. Only a change is written: the record's ``updated_at``
(``Asset.public_updated_at``, what ``updated_since`` reads) moves to the writer's
``now``, and when status, hours or position changed, or the AED entered or left the feed,
its push number (``public_seq``) grows by one and a push to each platform joins the
outbox (app/feeds/pushes.py), committed or rolled back with the change itself.

An AED that was never in the feed (not public, a demo site) leaves no trace: its
disappearance is nobody's news.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.feeds.pushes import Push, enqueue_pushes
from app.feeds.record import PublicAed, feature, opening_at, public_aed, record_select, tombstone
from app.models import Asset
from app.sql_rows import affected

#: AEDs per query.
CHUNK = 2000
#: Reads of one AED when another writer changed its record meanwhile (then it is read
#: again, locked).
_ATTEMPTS = 3
_STORED = (Asset.public_digest, Asset.public_push_digest, Asset.public_seq)


@dataclass
class Recorded:
    #: AEDs whose public record changed, and those of them pushed to platforms.
    changed: int = 0
    pushed: int = 0


@dataclass(frozen=True, slots=True)
class _Change:
    asset_id: int
    aed: PublicAed | None
    digest: str
    push_digest: str
    old_digest: str | None
    old_seq: int
    pushed: bool

    @property
    def seq(self) -> int:
        return self.old_seq + 1 if self.pushed else self.old_seq


def _change(row: Any, tz: tzinfo) -> _Change | None:
    old_digest, old_push, old_seq = row[-3:]
    aed = public_aed(row, tz) if row.shown else None
    digest = aed.digest() if aed else ""
    if digest == old_digest or (aed is None and old_digest is None):
        return None
    push_digest = aed.push_digest() if aed else ""
    return _Change(row[0], aed, digest, push_digest, old_digest, old_seq,
                   pushed=push_digest != old_push)


def record_changes(session: Session, asset_ids: Iterable[int], now: datetime,
                   tz: tzinfo) -> Recorded:
    """Record what changed in these assets' public records (other assets are skipped);
    ``tz`` dates the last check as people read it."""
    ids = sorted(set(asset_ids))
    out = Recorded()
    if not ids:
        return out
    session.flush()  # the caller's changes (a new status, an edit) are the record
    pushes: list[Push] = []
    open_now = opening_at(now)
    for start in range(0, len(ids), CHUNK):
        stmt = record_select(*_STORED).where(Asset.id.in_(ids[start:start + CHUNK]))
        for row in session.connection().execute(stmt.order_by(Asset.id)).all():
            change = _stored(session, _change(row, tz), now, tz)
            if change is None:
                continue
            out.changed += 1
            if change.pushed:
                aed = change.aed
                pushes.append(Push(change.asset_id, change.seq, feature(
                    aed, open_now(aed.opening_hours), now) if aed else tombstone(
                    change.asset_id, now)))
    out.pushed = len(pushes)
    enqueue_pushes(session, pushes, now)
    return out


def _stored(session: Session, change: _Change | None, now: datetime,
            tz: tzinfo) -> _Change | None:
    """Write the change unless another writer changed the record since it was read; then
    read it again, locked, and write what is left to write."""
    for _attempt in range(_ATTEMPTS):
        if change is None:
            return None
        written = affected(session.execute(
            update(Asset)
            .where(Asset.id == change.asset_id,
                   Asset.public_digest.is_not_distinct_from(change.old_digest),
                   Asset.public_seq == change.old_seq)
            .values(public_digest=change.digest, public_push_digest=change.push_digest,
                    public_updated_at=now, public_seq=change.seq)
            .execution_options(synchronize_session=False)))
        if written:
            loaded = session.identity_map.get(session.identity_key(Asset, change.asset_id))
            if loaded is not None:
                for name, value in (("public_digest", change.digest),
                                    ("public_push_digest", change.push_digest),
                                    ("public_updated_at", now), ("public_seq", change.seq)):
                    set_committed_value(loaded, name, value)
            return change
        row = session.connection().execute(
            record_select(*_STORED).where(Asset.id == change.asset_id)
            .with_for_update(of=Asset)).one()
        change = _change(row, tz)
    raise RuntimeError(f"asset {change.asset_id if change else '?'}: its public record "
                       "kept changing under this transaction")
