"""Storing what a batch brings: message rows (each `(gateway, msg_id)` once), dead
letters and quarantined messages.

Telemetry is the hot path of ingest and goes to the driver directly (COPY on
PostgreSQL, an executemany elsewhere); events and heartbeats go through Core INSERT ...
ON CONFLICT DO NOTHING RETURNING, so that only the rows that are new go on to change
state and raise alerts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.devices.decode import Accepted, dedupe_key, readings_json
from app.devices.outcome import BatchOutcome
from app.models import DeadLetter, DeviceEvent, Heartbeat, QuarantinedMessage, Telemetry
from device_agent.protocol import Event as EventMsg
from device_agent.protocol import Heartbeat as HeartbeatMsg
from device_agent.protocol import Telemetry as TelemetryMsg

_TELEMETRY_COLUMNS = ("gateway_id", "device_id", "msg_id", "session", "seq", "ts",
                      "received_at", "replay", "ts_suspect", "readings")
_TELEMETRY_COPY = f"COPY telemetry ({', '.join(_TELEMETRY_COLUMNS)}) FROM STDIN"


def store_dead_letters(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(DeadLetter), rows)


def quarantine(
    session: Session, strays: list[tuple[Accepted, str]], out: BatchOutcome
) -> list[Accepted]:
    """Keep each stray once (a repeat counts up); returns, per gateway, the first new
    stray an admin must hear of (a revoked gateway's are expected, so not those)."""
    if not strays:
        return []
    keys = {(item.gateway_id, dedupe_key(item)) for item, _ in strays}
    existing: dict[tuple[str, str | None], QuarantinedMessage] = {
        (q.gateway_id, q.msg_id): q
        for q in session.scalars(
            select(QuarantinedMessage).where(
                QuarantinedMessage.gateway_id.in_({gw for gw, _ in keys}),
                QuarantinedMessage.msg_id.in_({k for _, k in keys}),
            )
        )
    }
    to_tell: dict[str, Accepted] = {}
    for item, reason in strays:
        key = (item.gateway_id, dedupe_key(item))
        if key in existing:
            existing[key].count += 1
            out.duplicates += 1
            continue
        row = QuarantinedMessage(
            received_at=item.raw.received_at, topic=item.raw.topic[:500],
            gateway_id=item.gateway_id, device_id=item.device_id, msg_id=key[1],
            reason=reason, payload=json.loads(item.raw.payload), count=1,
        )
        session.add(row)
        existing[key] = row
        out.quarantined += 1
        if reason != "revoked_gateway":
            to_tell.setdefault(item.gateway_id, item)
    return list(to_tell.values())


def _sqlite_time(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime stores; UTCDateTime keeps it naive UTC.
    # Payload times carry pydantic's own UTC tzinfo, not datetime.UTC: test the offset.
    offset = value.utcoffset()
    if offset is None or offset:
        value = value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff" is the first 26 characters, before the "+00:00".
    return value.isoformat(" ", "microseconds")[:26]


def _copy_telemetry(conn: Connection, rows: list[tuple[Any, ...]]) -> int | None:
    """COPY `rows` into telemetry; None, with nothing kept, if one is stored already.

    On PostgreSQL this halves the CPU a row costs (client and server together) against
    the pipelined executemany, whose per-row Bind/Execute and ON CONFLICT probe are most
    of it (docs/performance.md). COPY has no conflict clause, so a batch holding a
    redelivered message fails as a whole; the savepoint keeps the rest of the batch's
    transaction, and the caller falls back to the insert that skips stored rows.
    Duplicates within the batch were removed before.
    """
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with conn.begin_nested(), driver.cursor() as cursor:
            with cursor.copy(_TELEMETRY_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
            return cursor.rowcount
    except psycopg.errors.UniqueViolation:
        return None
    except psycopg.Error as exc:
        # As SQLAlchemy's own error, so the writer can tell an outage from a bad batch.
        raise DBAPIError.instance(_TELEMETRY_COPY, None, exc, psycopg.Error,
                                  dialect=conn.dialect) from exc


class MessageRows:
    """Inserts one batch's telemetry, events and heartbeats, counting into `out`."""

    def __init__(self, session: Session, out: BatchOutcome, suspect_after: datetime) -> None:
        self.session = session
        self.out = out
        # Device clocks ahead of this mark their messages ts_suspect.
        self.suspect_after = suspect_after

    def events(self, items: list[Accepted]) -> list[Accepted]:
        """Insert events; return the new ones (a redelivered event must not alert again)."""
        return self._insert_new(DeviceEvent, items, self._event_row)

    def heartbeats(self, items: list[Accepted]) -> list[Accepted]:
        return self._insert_new(Heartbeat, items, self._heartbeat_row)

    def telemetry(self, items: list[Accepted]) -> list[Accepted]:
        """The hot path: straight to the driver (COPY on PostgreSQL, executemany on
        SQLite), values converted here in one pass.

        Going through SQLAlchemy's per-row type processing costs ~60 µs a row, more than
        everything else ingest does with a message; the conversions below are the same
        ones the column types apply (UTC timestamps, JSON text, booleans). Returns all
        of `items`: telemetry applied twice changes no state (per-field marks), so which
        rows were new is only counted.
        """
        if not items:
            return []
        conn = self.session.connection()
        columns = _TELEMETRY_COLUMNS
        if conn.dialect.name == "sqlite":
            sql = (f"INSERT INTO telemetry ({', '.join(columns)}) VALUES "  # noqa: S608 - fixed names
                   f"({', '.join('?' for _ in columns)}) "
                   "ON CONFLICT (gateway_id, msg_id) DO NOTHING")
            params: list[tuple[Any, ...]] = [
                (gw, dev, msg_id, session_no, seq, _sqlite_time(ts), _sqlite_time(received),
                 int(replay), int(suspect), readings)
                for gw, dev, msg_id, session_no, seq, ts, received, replay, suspect, readings
                in self._telemetry_values(items)
            ]
        elif conn.dialect.name == "postgresql":
            params = list(self._telemetry_values(items))
            copied = _copy_telemetry(conn, params)
            if copied is not None:
                self.out.stored += copied
                return items
            # Some were stored before (a redelivery): insert skipping those.
            sql = (f"INSERT INTO telemetry ({', '.join(columns)}) VALUES "  # noqa: S608 - fixed names
                   "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb) "
                   "ON CONFLICT (gateway_id, msg_id) DO NOTHING")
        else:
            return self._insert_new(Telemetry, items, lambda i: {
                **self._telemetry_row(i),
                "readings": json.loads(readings_json(i.readings())),
            })
        new = conn.exec_driver_sql(sql, params).rowcount
        if new < 0:  # a driver that cannot count executemany rows
            raise RuntimeError(f"{conn.dialect.name} driver reported no rowcount")
        self.out.stored += new
        self.out.duplicates += len(items) - new
        return items

    def _insert_new(
        self, model: Any, items: list[Accepted], to_row: Callable[[Accepted], dict[str, Any]]
    ) -> list[Accepted]:
        """Insert, skipping `(gateway_id, msg_id)` already stored; return the new ones."""
        if not items:
            return []
        table = model.__table__
        dialect = self.session.get_bind().dialect.name
        insert_ = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = (
            insert_(table)
            .on_conflict_do_nothing(index_elements=["gateway_id", "msg_id"])
            .returning(table.c.gateway_id, table.c.msg_id)
        )
        rows = [to_row(item) for item in items]
        inserted = {(row[0], row[1]) for row in self.session.execute(stmt, rows)}
        fresh = [i for i in items if (i.gateway_id, dedupe_key(i)) in inserted]
        self.out.stored += len(fresh)
        self.out.duplicates += len(items) - len(fresh)
        return fresh

    def _suspect(self, ts: datetime) -> bool:
        if ts > self.suspect_after:
            self.out.ts_suspect += 1
            return True
        return False

    def _telemetry_values(self, items: list[Accepted]) -> Iterator[tuple[Any, ...]]:
        """Column values in `_TELEMETRY_COLUMNS` order (readings as JSON text), without a
        dict per row: this runs for every message."""
        suspect_after = self.suspect_after
        for item in items:
            msg = item.decoded.message
            assert isinstance(msg, TelemetryMsg)
            ts = msg.ts
            suspect = ts > suspect_after
            if suspect:
                self.out.ts_suspect += 1
            yield (item.gateway_id, item.device_id, msg.msg_id, msg.session, msg.seq, ts,
                   item.raw.received_at, msg.replay, suspect, item.readings_json())

    def _telemetry_row(self, item: Accepted) -> dict[str, Any]:
        msg = item.decoded.message
        assert isinstance(msg, TelemetryMsg)
        return {**self._envelope_row(item), "device_id": item.device_id,
                "ts_suspect": self._suspect(msg.ts), "readings": item.readings()}

    def _event_row(self, item: Accepted) -> dict[str, Any]:
        msg = item.decoded.message
        assert isinstance(msg, EventMsg)
        return {**self._envelope_row(item), "device_id": item.device_id,
                "kind": msg.kind.value,
                "detail": {"text": msg.detail} if msg.detail is not None else None,
                "ts_suspect": self._suspect(msg.ts)}

    def _heartbeat_row(self, item: Accepted) -> dict[str, Any]:
        msg = item.decoded.message
        assert isinstance(msg, HeartbeatMsg)
        return {**self._envelope_row(item), "uptime_s": int(msg.uptime_s),
                "outbox_depth": msg.outbox_depth, "config_version": msg.config_version,
                "evicted": msg.evicted}

    @staticmethod
    def _envelope_row(item: Accepted) -> dict[str, Any]:
        """The columns every stored message has, from its envelope."""
        msg = item.decoded.message
        assert isinstance(msg, TelemetryMsg | EventMsg | HeartbeatMsg)
        return {"gateway_id": item.gateway_id, "msg_id": msg.msg_id, "session": msg.session,
                "seq": msg.seq, "ts": msg.ts, "received_at": item.raw.received_at,
                "replay": msg.replay}
