"""End-to-end acknowledgement: which PUBACKed rows wait for the server's `ack`, and when
each is sent again.

A broker's PUBACK only says the broker took the message; Mosquitto acknowledges before
it saves, so a broker crash can lose what it acknowledged last. With `end_to_end`
delivery a row stays in the outbox until the server's ack (published after its database
commit) covers its `(session, seq)`. A row PUBACKed but not acknowledged within
`ack_timeout_s` is sent again with `replay: true`; every further attempt waits twice as
long, up to `ack_timeout_max_s`, so an agent talking to a server that never acks (one
older than acks, or a broker ACL that hides the ack topic) keeps its messages and
resends them at a falling rate instead of flooding the broker.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from enum import StrEnum


class DeliveryMode(StrEnum):
    # Delete a row when the server's ack covers it (the default).
    END_TO_END = "end_to_end"
    # Delete a row on the broker's PUBACK: only for a broker trusted to persist it.
    PUBACK = "puback"


@dataclass(frozen=True, slots=True)
class Delivery:
    mode: DeliveryMode = DeliveryMode.END_TO_END
    ack_timeout_s: float = 60.0
    ack_timeout_max_s: float = 3600.0

    @property
    def end_to_end(self) -> bool:
        return self.mode is DeliveryMode.END_TO_END


class AckWait:
    """Rows PUBACKed and not yet acknowledged, each with the moment it is due again."""

    def __init__(self, timeout_s: float, max_timeout_s: float) -> None:
        if not 0 < timeout_s <= max_timeout_s:
            raise ValueError("need 0 < ack_timeout_s <= ack_timeout_max_s")
        self.timeout_s = timeout_s
        self.max_timeout_s = max_timeout_s
        self._heap: list[tuple[float, int]] = []
        self._deadline: dict[int, float] = {}
        # Resends so far per row: each doubles the next wait.
        self._attempts: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._deadline)

    def pubacked(self, row_id: int, now: float) -> None:
        attempts = self._attempts.get(row_id, 0)
        deadline = now + min(self.max_timeout_s, self.timeout_s * 2.0 ** min(attempts, 32))
        self._deadline[row_id] = deadline
        heapq.heappush(self._heap, (deadline, row_id))

    def acknowledged(self, row_ids: list[int]) -> None:
        for row_id in row_ids:
            self._deadline.pop(row_id, None)
            self._attempts.pop(row_id, None)

    def due(self, now: float) -> list[int]:
        """Rows whose wait ran out, oldest deadline first; each counts one more attempt."""
        out: list[int] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, row_id = heapq.heappop(heap)
            # A row acknowledged, or PUBACKed again since, left a stale heap entry.
            if self._deadline.get(row_id) != deadline:
                continue
            del self._deadline[row_id]
            self._attempts[row_id] = self._attempts.get(row_id, 0) + 1
            out.append(row_id)
        return out

    def gone(self, row_ids: list[int]) -> None:
        """Rows no longer in the outbox (acknowledged meanwhile, or evicted)."""
        for row_id in row_ids:
            self._attempts.pop(row_id, None)

    def next_deadline(self) -> float:
        heap = self._heap
        while heap and self._deadline.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else math.inf

    def pause(self) -> None:
        """The connection dropped: the next one replays the whole outbox anyway."""
        self._heap.clear()
        self._deadline.clear()
        self._attempts.clear()
