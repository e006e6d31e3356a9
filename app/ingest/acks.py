"""End-to-end acks: after a commit, tell each gateway which of its messages are stored.

The writer hands in every committed batch; per gateway the `(session, seq)` marks are
merged into ranges and published on `gw/{gw}/ack` (QoS 1) at most once per `interval_s`
(the first ack of a gateway leaves at once), so a gateway that sends many messages a
second gets one ack a second. Every message of a committed batch counts, whatever became
of it: stored, a duplicate, quarantined or dead-lettered are all kept by the server, and
sending any of them again would change nothing. State messages carry no seq and are not
kept in an outbox, so they are not acked.

Several workers share one subscription, so one gateway's messages may be stored by
several of them at once: each acks what it stored, and the agent takes the union.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from app.devices import PreparedBatch, RawMessage
from device_agent.protocol import (
    MAX_ACK_RANGES,
    AckMessage,
    Envelope,
    ProtocolError,
    ack_topic,
    encode,
    parse_topic,
    utc_now,
)

# (gateway id, session, seq) of one committed message.
Mark = tuple[str, int, int]
# Publishes (topic, payload) pairs at QoS 1.
Publish = Callable[[list[tuple[str, bytes]]], None]


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-adjacent `(first, last)` runs covering the same numbers."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            if last > out[-1][1]:
                out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


def _runs(seqs: list[int]) -> Iterator[tuple[int, int]]:
    seqs.sort()
    first = last = seqs[0]
    for seq in seqs[1:]:
        if seq > last + 1:
            yield first, last
            first = seq
        last = max(last, seq)
    yield first, last


def marks_of(prepared: PreparedBatch | None, raws: Sequence[RawMessage], topic_root: str
             ) -> list[Mark]:
    """The `(gateway, session, seq)` of every message in a committed batch that has them.

    Decoded messages give them directly; a dead-lettered one (or a batch that could not
    be decoded ahead) is read best effort from its JSON, so a well-numbered message that
    broke some other rule is acked too instead of coming back forever.
    """
    marks: list[Mark] = []
    undecoded: Iterable[tuple[str | None, bytes]]
    if prepared is not None:
        for item in prepared.accepted:
            msg = item.decoded.message
            if isinstance(msg, Envelope):
                marks.append((item.gateway_id, msg.session, msg.seq))
        undecoded = ((row["gateway_id"], row["payload"]) for row in prepared.dead_rows)
    else:
        undecoded = ((_gateway_of(raw.topic, topic_root), raw.payload) for raw in raws)
    for gateway_id, payload in undecoded:
        mark = _mark_from_json(gateway_id, payload)
        if mark is not None:
            marks.append(mark)
    return marks


def _gateway_of(topic: str, topic_root: str) -> str | None:
    try:
        return parse_topic(topic, topic_root).gateway_id
    except ProtocolError:
        return None


def _mark_from_json(gateway_id: str | None, payload: bytes) -> Mark | None:
    if gateway_id is None:
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    session, seq = body.get("session"), body.get("seq")
    # bool is an int in Python; the protocol's counters are not.
    if (type(session) is not int or type(seq) is not int or session < 0 or seq < 0
            or "msg_id" not in body):
        return None
    return gateway_id, session, seq


@dataclass
class _Pending:
    # session -> merged (first, last) runs not yet acked
    runs: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


class AckCoalescer:
    """Committed marks in, ack messages out: per gateway at most one per `interval_s`."""

    def __init__(self, topic_root: str, interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.topic_root = topic_root
        self.interval_s = interval_s
        self.clock = clock
        self._pending: dict[str, _Pending] = {}
        self._last_sent: dict[str, float] = {}
        self.sent = 0

    def add(self, marks: Iterable[Mark]) -> None:
        fresh: dict[str, dict[int, list[int]]] = {}
        for gateway_id, session, seq in marks:
            fresh.setdefault(gateway_id, {}).setdefault(session, []).append(seq)
        for gateway_id, sessions in fresh.items():
            pending = self._pending.setdefault(gateway_id, _Pending())
            for session, seqs in sessions.items():
                runs = list(_runs(seqs))
                if session in pending.runs:
                    runs = merge_ranges([*pending.runs[session], *runs])
                pending.runs[session] = runs

    def pending_gateways(self) -> int:
        return len(self._pending)

    def due(self) -> list[tuple[str, bytes]]:
        """(topic, payload) of the acks that may leave now; they are taken out."""
        now = self.clock()
        out: list[tuple[str, bytes]] = []
        for gateway_id in list(self._pending):
            last = self._last_sent.get(gateway_id)
            if last is not None and now - last < self.interval_s:
                continue
            pending = self._pending.pop(gateway_id)
            ranges = [(session, first, last_seq)
                      for session, runs in sorted(pending.runs.items())
                      for first, last_seq in runs]
            topic = ack_topic(gateway_id, self.topic_root)
            stamp = utc_now()
            for start in range(0, len(ranges), MAX_ACK_RANGES):
                chunk = ranges[start:start + MAX_ACK_RANGES]
                out.append((topic, encode(AckMessage(v=1, ranges=chunk, ts=stamp))))
            self._last_sent[gateway_id] = now
        if len(self._last_sent) > 4 * max(1, len(self._pending)) + 1024:
            # Forget gateways whose interval is over: they may send at once again.
            self._last_sent = {g: t for g, t in self._last_sent.items()
                               if now - t < self.interval_s}
        self.sent += len(out)
        return out


class AckPublisher:
    """What the writer calls: `committed` after each commit, `flush` between batches."""

    def __init__(self, coalescer: AckCoalescer, publish: Publish) -> None:
        self.coalescer = coalescer
        self._publish = publish

    def committed(self, prepared: PreparedBatch | None, raws: Sequence[RawMessage]) -> int:
        """Take a committed batch's marks; returns the ack messages published now."""
        self.coalescer.add(marks_of(prepared, raws, self.coalescer.topic_root))
        return self.flush()

    def flush(self) -> int:
        """Publish the acks whose interval is over; returns how many."""
        if not self.coalescer.pending_gateways():
            return 0
        messages = self.coalescer.due()
        if messages:
            self._publish(messages)
        return len(messages)
