"""Durable outbox in SQLite: a message is stored before it is published and deleted
only after the broker's PUBACK, so a crash or an outage loses nothing.

One file may hold the outboxes of many gateways (the fleet simulator does this); each
`Outbox` is one gateway's view. The owner commits: the agent's loop commits once per
iteration, before publishing anything written in it.

Durability: WAL with synchronous=FULL by default. WAL + NORMAL already survives a process
crash (kill -9); FULL also survives power loss, which real gateways suffer, at the cost of
one fsync per commit, affordable at a gateway's rate of a few messages per minute. The
fleet simulator, which writes thousands of messages per second of made-up data, uses NORMAL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL
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

# Evicted first when full: stale liveness, then the oldest readings. Events never.
EVICTION_ORDER = ("heartbeat", "telemetry")


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    topic: str
    payload: bytes


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

    def add(self, kind: str, topic: str, payload: bytes) -> int:
        """Store one message (uncommitted); evict to stay within bounds. Returns its id."""
        if self.depth >= self.max_messages:
            self._evict(self.depth - self.max_messages + 1)
        cur = self.conn.execute(
            "INSERT INTO outbox (gateway_id, kind, topic, payload) VALUES (?, ?, ?, ?)",
            (self.gateway_id, kind, topic, payload),
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

    def rows_after(self, after_id: int, limit: int) -> list[Row]:
        return [
            Row(r[0], r[1], bytes(r[2]))
            for r in self.conn.execute(
                "SELECT id, topic, payload FROM outbox WHERE gateway_id = ? AND id > ? "
                "ORDER BY id LIMIT ?",
                (self.gateway_id, after_id, limit),
            )
        ]

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
