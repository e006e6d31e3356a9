"""What is owed to the broker: outbox rows -> in flight (by mid) -> PUBACKed.

After a connect the window reads the backlog from disk in chunks; once caught up, rows
stored from then on queue in memory, so the common case costs no read. Rows the owner
asks to `resend` (PUBACKed, but the server's ack did not come in time) go out again,
read from disk, so a row acknowledged meanwhile is not sent. The window never deletes:
the owner does, on PUBACK or on the server's ack (see end_to_end.py).
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
        self.inflight: dict[int, Row] = {}  # mid -> outbox row
        self.pending: deque[Row] = deque()
        # Row ids to send again (as replays), oldest first.
        self.resends: deque[int] = deque()
        # Where the next backlog read starts; None once caught up (rows queue in memory).
        self.db_cursor: int | None = None
        # Rows up to here were stored before this connection: sent as replays.
        self.backlog_mark = 0
        self.last_published_id = 0
        self.resent = 0

    def reset(self) -> None:
        """The connection is gone: what was in flight is owed again, from disk."""
        self.inflight.clear()
        self.pending.clear()
        self.resends.clear()
        self.db_cursor = None

    def restart(self) -> None:
        """A new connection: everything stored before this moment waited through an
        outage, so replay it from disk."""
        self.backlog_mark = self.outbox.max_id()
        self.db_cursor = 0
        self.pending.clear()
        self.resends.clear()
        self.inflight.clear()

    def offer(self, row: Row) -> None:
        """A row just stored while connected: queue it unless the backlog is still read."""
        if self.db_cursor is not None:
            return
        if len(self.pending) >= MAX_PENDING_IN_MEMORY:
            # Broker slower than we observe: fall back to reading from disk.
            self.pending.clear()
            self.db_cursor = self.last_published_id
        else:
            self.pending.append(row)

    def on_puback(self, mid: int) -> Row | None:
        """The row a PUBACK is for; None when `mid` is not one of ours in flight."""
        return self.inflight.pop(mid, None)

    def resend(self, row_ids: list[int]) -> None:
        self.resends.extend(row_ids)

    def _take_resends(self, room: int) -> tuple[list[Row], list[int]]:
        """Up to `room` rows to resend, and the asked ids that are gone from the outbox."""
        ids = [self.resends.popleft() for _ in range(min(room, len(self.resends)))]
        rows = self.outbox.rows_by_id(ids)
        found = {r.id for r in rows}
        self.resent += len(rows)
        return rows, [i for i in ids if i not in found]

    def pump(self, client: mqtt.Client) -> list[int]:
        """Publish what fits in the window, backlog first; returns the ids asked to be
        resent that are no longer in the outbox."""
        room = self.max_inflight - len(self.inflight)
        vanished: list[int] = []
        while room > 0:
            resending = False
            if self.db_cursor is not None:
                want = min(room, BACKLOG_CHUNK)
                rows = self.outbox.rows_after(self.db_cursor, want)
                # A short read means caught up: rows stored from now on queue in memory.
                self.db_cursor = rows[-1].id if len(rows) == want else None
            elif self.resends:
                rows, gone = self._take_resends(room)
                vanished.extend(gone)
                resending = True
                if not rows:
                    continue
            elif self.pending:
                rows = [self.pending.popleft()]
            else:
                return vanished
            for row in rows:
                fresh = row.id > self.backlog_mark and not resending
                info = client.publish(row.topic, row.payload if fresh else _replayed(row.payload),
                                      qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    return vanished  # connection is going; the outbox still holds the row
                self.inflight[info.mid] = row
                self.last_published_id = max(self.last_published_id, row.id)
                room -= 1
            if not rows:
                return vanished
        return vanished
