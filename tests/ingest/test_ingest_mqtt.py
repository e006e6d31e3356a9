"""Ingest workers against a real Mosquitto and a real database (both backends)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ingest.service import IngestService
from app.models import DeadLetter, DeviceEvent, IngestWorker, QuarantinedMessage, Telemetry
from tests.ingest.conftest import Publisher, StartIngest
from tests.ingest.factory import NOW, ROOT, event, register, telemetry
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


def rows(db: Session, model: type) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_same_msg_id_three_times_gives_one_row_and_three_acks(
    db: Session, start_ingest: StartIngest, publisher: Publisher
) -> None:
    register(db)
    service = start_ingest()
    message = telemetry(seq=1, temp_c=20.0)
    for _ in range(3):
        publisher.publish(message)
    wait_for(lambda: service.stats.counts["acked"] >= 3, 15,
             message=lambda: f"3 acks, have {service.stats.counts}")
    assert rows(db, Telemetry) == 1
    counts = service.stats.counts
    assert (counts["received"], counts["stored"], counts["duplicates"], counts["acked"]) == (
        3, 1, 2, 3)


@pytest.mark.parametrize("protocol", [4, 5], ids=["mqtt311", "mqtt5"])
def test_acked_messages_are_not_redelivered_and_unacked_ones_are(
    db: Session, start_ingest: StartIngest, publisher: Publisher, protocol: int
) -> None:
    register(db)
    first = start_ingest("ingest-redelivery", protocol=protocol)
    publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(1, 51)])
    wait_for(lambda: first.stats.counts["acked"] >= 50, 15)
    first.stop()
    # While the worker is away, the broker keeps messages for its persistent session.
    publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(51, 81)])
    second = start_ingest("ingest-redelivery", protocol=protocol)
    wait_for(lambda: rows(db, Telemetry) == 80, 15, message=lambda: f"{rows(db, Telemetry)}")
    wait_for(lambda: second.stats.counts["acked"] >= 30, 15)
    assert second.stats.counts["received"] == 30, "acked messages came back"


def test_broker_restart_is_survived_with_resubscribe(
    db: Session, start_ingest: StartIngest, broker: MosquittoBroker
) -> None:
    register(db)
    service = start_ingest()
    pub = Publisher(broker)
    pub.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(1, 21)])
    pub.close()
    wait_for(lambda: rows(db, Telemetry) == 20, 15)
    broker.kill()
    wait_for(lambda: not service.consumer.connected.is_set(), 10)
    broker.start()
    wait_for(service.consumer.subscribed.is_set, 30, message="resubscribe after restart")
    pub = Publisher(broker)
    pub.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(21, 41)])
    pub.close()
    wait_for(lambda: rows(db, Telemetry) == 40, 15, message=lambda: f"{rows(db, Telemetry)}")
    assert service.stats.counts["reconnects"] >= 1


MALFORMED: list[tuple[str, bytes]] = [
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", b""),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", b"{\"v\": 1, "),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", b"null"),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", "\u202e\u0000{}".encode()),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", b"\xc3\x28 not utf-8"),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", b"{" + b" " * 20000 + b"}"),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", b'{"v": 1}' * 3000),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", json.dumps(
        {"v": 3, "msg_id": "m", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z",
         "replay": False}).encode()),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", json.dumps(
        {"v": 1, "msg_id": "m", "session": 1, "seq": 1, "ts": "2026-11-29T16:00:00+08:00",
         "replay": False}).encode()),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", json.dumps(
        {"v": 1, "msg_id": "m", "session": 1, "seq": -1, "ts": "2026-11-29T08:00:00Z",
         "replay": False}).encode()),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", json.dumps(
        {"v": 1, "msg_id": "m", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z",
         "replay": "yes", "temp_c": "NaN"}).encode()),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", json.dumps(
        {"v": 1, "msg_id": "m", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z",
         "replay": False, "device_id": "dev-2"}).encode()),
    (f"{ROOT}/gw/gw-t1/dev/dev-1/event", json.dumps(
        {"v": 1, "msg_id": "m", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z",
         "replay": False, "kind": "explosion"}).encode()),
    (f"{ROOT}/gw/gw-t1/heartbeat", json.dumps(
        {"v": 1, "msg_id": "m", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z",
         "replay": False, "gateway_id": "gw-other", "uptime_s": 1, "outbox_depth": 0,
         "config_version": 1}).encode()),
    (f"{ROOT}/gw/gw-t1/state", b'{"state": "sleeping", "session": 1, "ts": "x"}'),
    (f"{ROOT}/gw/网关/state", b'{"state": "online"}'),
    (f"{ROOT}/gw/gw-t1/dev/{'d' * 65}/telemetry", b"{}"),
]


def test_malformed_corpus_is_dead_lettered_and_good_traffic_stored(
    db: Session, start_ingest: StartIngest, publisher: Publisher
) -> None:
    register(db)
    service = start_ingest()
    good = [telemetry(seq=n, temp_c=20.0) for n in range(1, 1 + len(MALFORMED))]
    interleaved = [m for pair in zip(MALFORMED, good, strict=True) for m in pair]
    future = telemetry(seq=999, ts=NOW + timedelta(days=3650), temp_c=20.0)
    publisher.publish(*interleaved, future)
    total = len(interleaved) + 1
    wait_for(lambda: service.stats.counts["acked"] >= total, 20,
             message=lambda: f"{total} acks, have {service.stats.counts}")
    assert rows(db, Telemetry) == len(good) + 1
    assert rows(db, DeadLetter) == len(MALFORMED)
    reasons = db.scalars(select(DeadLetter.reason)).all()
    assert all(reasons) and {"bad_json", "too_large", "bad_encoding", "unsupported_version",
                             "invalid_value", "topic_mismatch", "bad_topic"} <= set(reasons)
    assert db.scalars(select(Telemetry).where(Telemetry.seq == 999)).one().ts_suspect
    assert service.writer.alive


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
fuzz_payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(max_size=8), inner, max_size=6), max_leaves=12)
    .map(lambda v: json.dumps(v).encode()),
    # Near-valid envelopes with one field replaced by anything.
    st.tuples(st.sampled_from(["v", "msg_id", "session", "seq", "ts", "replay", "temp_c",
                               "battery_pct", "door", "kind"]), json_scalars).map(
        lambda kv: json.dumps({"v": 1, "msg_id": "f", "session": 1, "seq": 1,
                               "ts": "2026-11-29T08:00:00Z", "replay": False,
                               kv[0]: kv[1], "battery_pct": 500}).encode()),
)
fuzz_topics = st.sampled_from([
    f"{ROOT}/gw/gw-t1/dev/dev-1/telemetry", f"{ROOT}/gw/gw-t1/dev/dev-1/event",
    f"{ROOT}/gw/gw-t1/heartbeat", f"{ROOT}/gw/gw-t1/state", f"{ROOT}/gw/gw%t1/heartbeat",
])


@pytest.fixture
def fuzz_worker(db: Session, start_ingest: StartIngest) -> IngestService:
    register(db)
    return start_ingest("ingest-fuzz")


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bad=st.lists(st.tuples(fuzz_topics, fuzz_payloads), min_size=1, max_size=12))
def test_fuzzed_traffic_never_stops_ingest(
    db: Session, fuzz_worker: IngestService, publisher: Publisher,
    bad: list[tuple[str, bytes]],
) -> None:
    # Fixtures live across examples (hence the health-check waiver): compare deltas.
    service = fuzz_worker
    base_tel, base_dead, base_acked = (
        rows(db, Telemetry), rows(db, DeadLetter), service.stats.counts["acked"])
    base_seq = base_tel + 1
    good = [telemetry(seq=base_seq + i, temp_c=20.0) for i in range(len(bad))]
    publisher.publish(*[m for pair in zip(bad, good, strict=True) for m in pair])
    wait_for(lambda: service.stats.counts["acked"] >= base_acked + 2 * len(bad), 20,
             message=lambda: f"acks, have {service.stats.counts}")
    counts = service.stats.counts
    assert rows(db, Telemetry) == base_tel + len(good), "a good message was lost"
    # Every fuzzed message has an outcome; none may vanish. Near-valid ones can be
    # valid states/events/heartbeats (stored) but never silently dropped.
    accounted = (counts["stored"] + counts["duplicates"] + counts["superseded"]
                 + counts["dead_lettered"] + counts["quarantined"])
    assert accounted == counts["received"]
    assert rows(db, DeadLetter) - base_dead == counts["dead_lettered"] - base_dead
    assert all(db.scalars(select(DeadLetter.reason)).all())
    assert service.writer.alive


@pytest.mark.slow
def test_two_workers_share_the_subscription(
    db: Session, start_ingest: StartIngest, publisher: Publisher
) -> None:
    register(db, "gw-t1", ("dev-1", "dev-2"))
    register(db, "gw-t2", ("dev-1",))
    w1 = start_ingest("ingest-w1", batch_size=50)
    w2 = start_ingest("ingest-w2", batch_size=50)
    # msg_id is unique per gateway: the two devices of gw-t1 use different sessions here.
    messages = [
        telemetry(gw=gw, dev=dev, seq=n, session=session, temp_c=20.0)
        for n in range(1, 401)
        for gw, dev, session in (("gw-t1", "dev-1", 1), ("gw-t1", "dev-2", 2),
                                 ("gw-t2", "dev-1", 1))
    ] + [event("door_opened", seq=1000)]
    publisher.publish(*messages)
    wait_for(lambda: rows(db, Telemetry) == 1200, 30,
             message=lambda: f"{rows(db, Telemetry)} {w1.stats.counts} {w2.stats.counts}")
    wait_for(lambda: w1.stats.counts["acked"] + w2.stats.counts["acked"] >= len(messages), 15)
    assert rows(db, DeviceEvent) == 1
    assert w1.stats.counts["stored"] > 0 and w2.stats.counts["stored"] > 0, "one worker idle"
    assert w1.stats.counts["stored"] + w2.stats.counts["stored"] == len(messages)
    assert w1.stats.counts["duplicates"] + w2.stats.counts["duplicates"] == 0
    assert rows(db, QuarantinedMessage) == 0
    for worker in (w1, w2):
        assert worker.save_heartbeat()
    db.expire_all()
    assert {w.client_id for w in db.scalars(select(IngestWorker))} == {"ingest-w1", "ingest-w2"}
