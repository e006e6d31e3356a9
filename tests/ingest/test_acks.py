"""Ingest's end-to-end acks: ranges per gateway, coalesced, only after the commit."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.devices import RawMessage, prepare_batch
from app.ingest.acks import AckCoalescer, marks_of, merge_ranges
from app.models import Telemetry, utcnow
from device_agent.protocol import AckMessage, decode
from tests.ingest.conftest import Publisher, StartIngest
from tests.ingest.factory import ROOT, register, telemetry
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def ranges_of(messages: list[tuple[str, bytes]]) -> dict[str, list[tuple[int, int, int]]]:
    out: dict[str, list[tuple[int, int, int]]] = {}
    for topic, payload in messages:
        _, message = decode(topic, payload, ROOT)
        assert isinstance(message, AckMessage)
        out.setdefault(topic.split("/")[3], []).extend(message.ranges)
    return out


def test_merge_ranges_joins_overlapping_and_adjacent_runs() -> None:
    assert merge_ranges([(5, 7), (1, 2), (3, 3), (9, 9), (6, 8)]) == [(1, 3), (5, 9)]
    assert merge_ranges([]) == []


def test_marks_are_merged_per_gateway_and_session_and_sent_once_a_second() -> None:
    clock = Clock()
    acks = AckCoalescer(ROOT, interval_s=1.0, clock=clock)
    acks.add([("gw-a", 1, s) for s in (3, 1, 2, 7)] + [("gw-b", 4, 1), ("gw-a", 2, 1)])
    first = ranges_of(acks.due())
    assert first == {"gw-a": [(1, 1, 3), (1, 7, 7), (2, 1, 1)], "gw-b": [(4, 1, 1)]}
    acks.add([("gw-a", 1, 4), ("gw-a", 1, 5)])
    clock.now += 0.5
    assert acks.due() == []  # within the second: held back, not lost
    acks.add([("gw-a", 1, 6)])
    clock.now += 0.5
    assert ranges_of(acks.due()) == {"gw-a": [(1, 4, 6)]}
    assert acks.sent == 3


def test_a_long_list_of_ranges_is_split_into_messages_within_the_limit() -> None:
    acks = AckCoalescer(ROOT, clock=Clock())
    acks.add(("gw-a", 1, 2 * n) for n in range(1200))  # 1,200 runs of one
    messages = acks.due()
    assert len(messages) == 3 and all(len(p) <= 16 * 1024 for _, p in messages)
    assert sum(len(r) for r in ranges_of(messages).values()) == 1200


def test_dead_lettered_messages_with_a_numbered_envelope_are_acked_too() -> None:
    now = utcnow()
    good = RawMessage(*telemetry(seq=5, temp_c=20.0), now)
    topic, _ = telemetry(seq=6, temp_c=20.0)
    out_of_range = RawMessage(topic, json.dumps(
        {"v": 1, "msg_id": "1-6", "session": 1, "seq": 6, "ts": "2026-11-29T08:00:00Z",
         "replay": False, "battery_pct": 400}).encode(), now)
    unnumbered = RawMessage(topic, b"{not json", now)
    raws = [good, out_of_range, unnumbered]
    gateway = topic.split("/")[3]
    expected = [(gateway, 1, 5), (gateway, 1, 6)]
    assert marks_of(prepare_batch(raws, ROOT), raws, ROOT) == expected
    assert marks_of(None, raws, ROOT) == expected  # a batch that could not be decoded ahead


class AckListener:
    """Subscribes to every gateway's ack topic, as all agents together would."""

    def __init__(self, broker: MosquittoBroker,
                 check: Callable[[str, bytes], None] | None = None) -> None:
        self.check = check
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ack-listener")
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        done = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: done.set()
        self.client.on_connect = lambda c, *a: c.subscribe(f"{ROOT}/gw/+/ack", 1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert done.wait(10)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((msg.topic, bytes(msg.payload)))
        if self.check is not None:
            self.check(msg.topic, bytes(msg.payload))

    def covered(self) -> set[tuple[str, int, int]]:
        with self.lock:
            got = ranges_of(list(self.messages))
        return {(gw, s, seq) for gw, rs in got.items() for s, a, b in rs
                for seq in range(a, b + 1)}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.mqtt
@pytest.mark.parametrize("receiver", ["process", "thread"])
def test_ingest_acks_what_it_committed_duplicates_included(
    db: Session, start_ingest: StartIngest, publisher: Publisher, broker: MosquittoBroker,
    receiver: str,
) -> None:
    register(db)
    listener = AckListener(broker)
    try:
        service = start_ingest(f"ingest-acks-{receiver}", receiver=receiver)
        publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(1, 31)])
        gateway = telemetry(seq=1, temp_c=20.0)[0].split("/")[3]
        wanted = {(gateway, 1, n) for n in range(1, 31)}
        wait_for(lambda: listener.covered() >= wanted, 15,
                 message=lambda: f"acks for {sorted(wanted - listener.covered())[:5]}")
        # At most one ack a second per gateway: 30 messages, a handful of acks.
        assert len(listener.messages) <= 5
        # A replay of stored messages is a duplicate, and acked again.
        with listener.lock:
            listener.messages.clear()
        publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in (3, 4)])
        wait_for(lambda: {(gateway, 1, 3), (gateway, 1, 4)} <= listener.covered(), 15)
        assert service.stats.counts["duplicates"] == 2
        assert service.stats.counts["gateway_acks"] >= 2
    finally:
        listener.close()


@pytest.mark.mqtt
def test_every_acked_message_is_already_visible_in_the_database(
    db: Session, database_url: str, start_ingest: StartIngest, publisher: Publisher,
    broker: MosquittoBroker,
) -> None:
    register(db)
    reader = Database(database_url)
    missing: list[tuple[str, int, int]] = []
    checked: list[int] = []

    def check(topic: str, payload: bytes) -> None:
        # Read at the moment the ack arrives, in a transaction of its own.
        _, message = decode(topic, payload, ROOT)
        assert isinstance(message, AckMessage)
        with reader.session() as session:
            have = set(session.scalars(select(Telemetry.seq).where(
                Telemetry.gateway_id == topic.split("/")[3])))
        for _, first, last in message.ranges:
            missing.extend((topic, first, seq) for seq in range(first, last + 1)
                           if seq not in have)
            checked.append(last - first + 1)

    listener = AckListener(broker, check)
    try:
        start_ingest("ingest-acks-order", batch_size=7)
        publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(1, 201)])
        wait_for(lambda: sum(checked) >= 200, 20, message=lambda: f"acks for {sum(checked)}")
        assert missing == []
    finally:
        listener.close()
        reader.dispose()
