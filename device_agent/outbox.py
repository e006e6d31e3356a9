"""Durable outbox in SQLite: a message is stored before it is published and deleted
only when the server's ack covers its `(session, seq)` (or, with `delivery = "puback"`,
on the broker's PUBACK), so a crash or an outage anywhere on the way loses nothing.

One file may hold the outboxes of many gateways (the fleet simulator does this); each
`Outbox` is one gateway's view. The owner commits: the agent's loop commits once per
iteration, before publishing anything written in it.

Durability: WAL with synchronous=FULL by default. WAL + NORMAL already survives a process
crash (kill -9); FULL also survives power loss, which real gateways suffer, at the cost of
one fsync per commit, affordable at a gateway's rate of a few messages per minute. The
fleet simulator, which writes thousands of messages per second of made-up data, uses NORMAL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    session INTEGER,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_by_gateway ON outbox (gateway_id, id);
CREATE INDEX IF NOT EXISTS outbox_evictable ON outbox (gateway_id, kind, id);
CREATE TABLE IF NOT EXISTS meta (
    gateway_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (gateway_id, key)
);
"""
# After the columns exist (an outbox written by an older agent gets them first).
SEQ_INDEX = "CREATE INDEX IF NOT EXISTS outbox_by_seq ON outbox (gateway_id, session, seq)"
# Rows read per SQL statement when looking rows up by id (SQLite's default limit on
# host parameters is 999 on older builds).
ID_CHUNK = 500

# Evicted first when full: stale liveness, then the oldest readings. Events never.
EVICTION_ORDER = ("heartbeat", "telemetry")


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    topic: str
    payload: bytes
    session: int | None = None
    seq: int | None = None

    @property
    def msg_id(self) -> str:
        return f"{self.session}-{self.seq}"


def _add_seq_columns(conn: sqlite3.Connection) -> None:
    """An outbox from an agent before end-to-end acks: number its rows from their payload
    once, so an ack can name them."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(outbox)")}
    if "session" in columns:
        return
    conn.execute("ALTER TABLE outbox ADD COLUMN session INTEGER")
    conn.execute("ALTER TABLE outbox ADD COLUMN seq INTEGER")
    updates = []
    for row_id, payload in conn.execute("SELECT id, payload FROM outbox"):
        try:
            body = json.loads(payload)
            updates.append((int(body["session"]), int(body["seq"]), row_id))
        except (ValueError, KeyError, TypeError):
            continue  # never acknowledged by range; still sent, and evicted like others
    conn.executemany("UPDATE outbox SET session = ?, seq = ? WHERE id = ?", updates)


class OutboxStore:
    """The SQLite file and its single connection (used from one thread at a time)."""

    def __init__(self, path: Path | str, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.executescript(SCHEMA)
        _add_seq_columns(self.conn)
        self.conn.execute(SEQ_INDEX)
        self.conn.commit()

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.commit()
        self.conn.close()

    def outbox(self, gateway_id: str, max_messages: int) -> Outbox:
        return Outbox(self, gateway_id, max_messages)


class Outbox:
    def __init__(self, store: OutboxStore, gateway_id: str, max_messages: int) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be >= 1")
        self.store = store
        self.conn = store.conn
        self.gateway_id = gateway_id
        self.max_messages = max_messages
        self.depth = int(
            self.conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE gateway_id = ?", (gateway_id,)
            ).fetchone()[0]
        )
        self.evicted_total = int(self.get_meta("evicted") or 0)

    def add(
        self, kind: str, topic: str, payload: bytes, session: int | None = None,
        seq: int | None = None,
    ) -> int:
        """Store one message (uncommitted); evict to stay within bounds. Returns its id."""
        if self.depth >= self.max_messages:
            self._evict(self.depth - self.max_messages + 1)
        cur = self.conn.execute(
            "INSERT INTO outbox (gateway_id, kind, topic, payload, session, seq) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self.gateway_id, kind, topic, payload, session, seq),
        )
        self.depth += 1
        return int(cur.lastrowid or 0)

    def _evict(self, count: int) -> None:
        removed = 0
        for kind in EVICTION_ORDER:
            if removed >= count:
                break
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM outbox WHERE gateway_id = ? AND kind = ? ORDER BY id LIMIT ?",
                    (self.gateway_id, kind, count - removed),
                )
            ]
            self.conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
            removed += len(ids)
        # When only events remain the outbox grows past its bound rather than drop one
        # (a new telemetry row then goes over the bound too, and is first out next time).
        self.depth -= removed
        if removed:
            self.evicted_total += removed
            self.set_meta("evicted", str(self.evicted_total))

    def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        before = self.conn.total_changes
        self.conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
        self.depth -= self.conn.total_changes - before

    def acknowledge(self, ranges: Iterable[tuple[int, int, int]]) -> list[Row]:
        """Delete the rows whose `(session, seq)` lies in one of `ranges` (`(session,
        first_seq, last_seq)`); returns them (without payload). Ranges already applied,
        overlapping or naming rows never stored here delete nothing more."""
        gone: list[Row] = []
        for session, first, last in ranges:
            found = [
                Row(r[0], "", b"", session, r[1])
                for r in self.conn.execute(
                    "SELECT id, seq FROM outbox WHERE gateway_id = ? AND session = ? "
                    "AND seq BETWEEN ? AND ?",
                    (self.gateway_id, session, first, last),
                )
            ]
            if found:
                self.delete([r.id for r in found])
                gone.extend(found)
        return gone

    def rows_after(self, after_id: int, limit: int) -> list[Row]:
        return [
            Row(r[0], r[1], bytes(r[2]), r[3], r[4])
            for r in self.conn.execute(
                "SELECT id, topic, payload, session, seq FROM outbox "
                "WHERE gateway_id = ? AND id > ? ORDER BY id LIMIT ?",
                (self.gateway_id, after_id, limit),
            )
        ]

    def rows_by_id(self, ids: Sequence[int]) -> list[Row]:
        """The rows of `ids` still in the outbox, in id order (acked ones are gone)."""
        out: list[Row] = []
        for start in range(0, len(ids), ID_CHUNK):
            chunk = ids[start : start + ID_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            out.extend(
                Row(r[0], r[1], bytes(r[2]), r[3], r[4])
                for r in self.conn.execute(
                    "SELECT id, topic, payload, session, seq FROM outbox "  # noqa: S608 - placeholders only
                    f"WHERE gateway_id = ? AND id IN ({marks}) ORDER BY id",
                    (self.gateway_id, *chunk),
                )
            )
        return sorted(out, key=lambda r: r.id)

    def max_id(self) -> int:
        row = self.conn.execute(
            "SELECT MAX(id) FROM outbox WHERE gateway_id = ?", (self.gateway_id,)
        ).fetchone()
        return int(row[0] or 0)

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM meta WHERE gateway_id = ? AND key = ?", (self.gateway_id, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (gateway_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (gateway_id, key) DO UPDATE SET value = excluded.value",
            (self.gateway_id, key, value),
        )

    def next_session(self) -> int:
        """+1 at every start, committed at once so two starts never share a number."""
        session = int(self.get_meta("session") or 0) + 1
        self.set_meta("session", str(session))
        self.store.commit()
        return session
