"""What is owed to the broker: outbox rows -> in flight (by mid) -> PUBACKed.

After a connect the window reads the backlog from disk in chunks; once caught up, rows
stored from then on queue in memory, so the common case costs no read. A row leaves
the outbox only when the owner deletes what `take_acked` hands out.
"""

from __future__ import annotations

from collections import deque

import paho.mqtt.client as mqtt

from device_agent.outbox import Outbox, Row

MAX_PENDING_IN_MEMORY = 2000
BACKLOG_CHUNK = 500


def _replayed(payload: bytes) -> bytes:
    # Our encoder writes compact JSON; inside a JSON string a quote is escaped, so this
    # byte sequence can only be the envelope key itself.
    return payload.replace(b'"replay":false', b'"replay":true', 1)


class PublishWindow:
    def __init__(self, outbox: Outbox, max_inflight: int) -> None:
        self.outbox = outbox
        self.max_inflight = max_inflight
        self.inflight: dict[int, int] = {}  # mid -> outbox row id
        self.pending: deque[Row] = deque()
        # Where the next backlog read starts; None once caught up (rows queue in memory).
        self.db_cursor: int | None = None
        # Rows up to here were stored before this connection: sent as replays.
        self.backlog_mark = 0
        self.last_published_id = 0
        self.acked: list[int] = []

    def reset(self) -> None:
        """The connection is gone: what was in flight is owed again, from disk."""
        self.inflight.clear()
        self.pending.clear()
        self.db_cursor = None

    def restart(self) -> None:
        """A new connection: everything stored before this moment waited through an
        outage, so replay it from disk."""
        self.backlog_mark = self.outbox.max_id()
        self.db_cursor = 0
        self.pending.clear()
        self.inflight.clear()

    def offer(self, row_id: int, topic: str, payload: bytes) -> None:
        """A row just stored while connected: queue it unless the backlog is still read."""
        if self.db_cursor is not None:
            return
        if len(self.pending) >= MAX_PENDING_IN_MEMORY:
            # Broker slower than we observe: fall back to reading from disk.
            self.pending.clear()
            self.db_cursor = self.last_published_id
        else:
            self.pending.append(Row(row_id, topic, payload))

    def on_puback(self, mid: int) -> bool:
        """Record a PUBACK; False when `mid` is not one of ours in flight."""
        row_id = self.inflight.pop(mid, None)
        if row_id is None:
            return False
        self.acked.append(row_id)
        return True

    def take_acked(self) -> list[int]:
        acked, self.acked = self.acked, []
        return acked

    def pump(self, client: mqtt.Client) -> None:
        """Publish what fits in the window, backlog first."""
        room = self.max_inflight - len(self.inflight)
        while room > 0:
            if self.db_cursor is not None:
                want = min(room, BACKLOG_CHUNK)
                rows = self.outbox.rows_after(self.db_cursor, want)
                # A short read means caught up: rows stored from now on queue in memory.
                self.db_cursor = rows[-1].id if len(rows) == want else None
            elif self.pending:
                rows = [self.pending.popleft()]
            else:
                return
            for row in rows:
                payload = row.payload if row.id > self.backlog_mark else _replayed(row.payload)
                info = client.publish(row.topic, payload, qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    return  # connection is going; the outbox still holds the row
                self.inflight[info.mid] = row.id
                self.last_published_id = row.id
                room -= 1
            if not rows:
                return
