"""A page of the feed: every AED the feed shows, in id order, or every AED whose public
record changed at or after a moment (``updated_since``), in the order of those changes,
with a tombstone for each that left the feed.

Pages hold at most the page size (FEED_PAGE_SIZE, at most 10,000) and chain by an
opaque cursor, a position in the order (keyset paging): a change made while a client
pages through never shifts a page. An AED changed during a delta's paging comes again
later in it; one changed during a full fetch is in the delta from the moment the fetch
began.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import Session

from app.feeds.record import (
    RECORD_WIDTH,
    OpenAt,
    PublicAed,
    feature,
    in_feed,
    moment,
    public_aed,
    record_select,
    tombstone,
)
from app.models import Asset


@dataclass(frozen=True, slots=True)
class Entry:
    asset_id: int
    #: None: the AED left the feed (a tombstone).
    aed: PublicAed | None
    updated_at: datetime | None

    def feature(self, open_now: OpenAt) -> dict[str, Any]:
        if self.aed is None:
            return tombstone(self.asset_id, self.updated_at)
        return feature(self.aed, open_now(self.aed.opening_hours), self.updated_at)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    #: Where the next page starts; None on the last page.
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Cursor:
    """After this AED (a full fetch), or after this change (a delta: ``at``)."""

    asset_id: int
    at: datetime | None = None

    def encode(self) -> str:
        text = (f"d{_micros(self.at)}.{self.asset_id}" if self.at is not None
                else f"f{self.asset_id}")
        return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, token: str, delta: bool) -> Cursor:
        """The cursor of a full fetch's page, or of a delta's; ValueError when ``token``
        is not one of those."""
        cursor = cls._read(token)
        if cursor is None:
            raise ValueError("is not a cursor of this feed: follow the next link as it is")
        if (cursor.at is not None) != delta:
            raise ValueError("belongs to a " + ("delta (with updated_since)" if cursor.at
                                                else "full fetch (no updated_since)")
                             + ": keep the query it came with")
        return cursor

    @classmethod
    def _read(cls, token: str) -> Cursor | None:
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            if text.startswith("f"):
                return cls(_asset_id(text[1:]))
            if text.startswith("d"):
                micros, _, asset_id = text[1:].partition(".")
                return cls(_asset_id(asset_id), _EPOCH + timedelta(microseconds=int(micros)))
        except (ValueError, binascii.Error, OverflowError):
            pass
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 2**31 - 1


def _asset_id(text: str) -> int:
    value = int(text)
    if not 0 <= value <= _MAX_ID:
        raise ValueError(text)
    return value


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def parse_since(text: str) -> datetime:
    """``updated_since`` as given: ISO 8601 with its offset (``Z`` or ``+08:00``); a
    ``+`` that a query string turned into a space is read as a ``+``."""
    value = text.strip()
    if len(value) > 6 and value[-6] == " " and value[-3] == ":":
        value = value[:-6] + "+" + value[-5:]
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a moment in ISO 8601 with its offset, e.g. "
                         "2026-11-29T10:00:00+08:00 or 2026-11-29T02:00:00Z") from None
    if at.tzinfo is None:
        raise ValueError("needs its UTC offset (e.g. +08:00 or Z): a moment without one "
                         "names no moment")
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


def read_page(session: Session, since: datetime | None, cursor: Cursor | None, size: int,
              tz: tzinfo) -> Page:
    """One page: the full feed (``since`` None) or the changes at or after ``since``,
    after ``cursor`` (one of a page of the same kind: :meth:`Cursor.decode`)."""
    updated = Asset.public_updated_at
    if since is None:
        stmt = record_select(func.coalesce(updated, Asset.updated_at)).where(in_feed())
        if cursor is not None:
            stmt = stmt.where(Asset.id > cursor.asset_id)
        stmt = stmt.order_by(Asset.id)
    else:
        stmt = record_select(updated).where(updated >= since)
        if cursor is not None and cursor.at is not None:
            stmt = stmt.where(updated >= cursor.at, or_(
                updated > cursor.at, and_(updated == cursor.at, Asset.id > cursor.asset_id)))
        stmt = stmt.order_by(updated, Asset.id)
    rows = session.connection().execute(stmt.limit(size + 1)).all()
    entries = [Entry(row[0], public_aed(row, tz) if row[RECORD_WIDTH] else None,
                     moment(row[RECORD_WIDTH + 1])) for row in rows[:size]]
    following = None
    if len(rows) > size:
        last = entries[-1]
        following = Cursor(last.asset_id, last.updated_at if since is not None else None)
    return Page(entries, following.encode() if following else None)
